//! What a WebSocket route says of itself in the OpenAPI document: its
//! handshake, which is all that HTTP can describe. The messages that follow
//! are the app's own protocol, outside the document. (Kept beside the
//! WebSocket types rather than in `openapi/`, which describes the HTTP
//! extractors.)

use serde_json::json;

use super::{SwitchingProtocols, WebSocketUpgrade};
use crate::openapi::{Operation, OperationInput, OperationOutput};

/// The handshake's rejections: `426` for a request that is no handshake
/// (or a version other than 13), `400` for a bad key.
impl OperationInput for WebSocketUpgrade {
    fn operation_input(op: &mut Operation<'_>) {
        if op.optional {
            return;
        }
        let schema = op.http_error();
        op.response(426, "Not a WebSocket handshake: send Connection: upgrade, Upgrade: websocket and Sec-WebSocket-Version: 13")
            .json(schema)
            .header("Upgrade", json!({ "type": "string", "const": "websocket" }));
        op.error(400, "Sec-WebSocket-Key is missing or malformed");
    }
}

/// `101 Switching Protocols`: the connection is a WebSocket from then on.
impl OperationOutput for SwitchingProtocols {
    fn operation_output(op: &mut Operation<'_>) {
        op.response(
            101,
            "Switching Protocols: the connection is a WebSocket from here on",
        )
        .header("Upgrade", json!({ "type": "string", "const": "websocket" }))
        .header("Sec-WebSocket-Accept", json!({ "type": "string" }));
    }
}
