//! Hostile WebSocket traffic, against a route that upgrades (the chat_ws
//! example's `/ws`): broken handshakes, and after a good one, frames a
//! client must never send. Every attack is written in one go, handshake and
//! frames together, so the frames also arrive in the same read as the
//! head (garbage right after the handshake). The server must refuse the
//! handshake with a 4xx, or close the socket (with a close frame where
//! RFC 6455 gives one), never answer a 5xx, hang or crash.

use crate::attacks::Category;
use crate::probe::{Attack, Ending};

/// The request every check sends: the example's member list, a 200.
pub fn normal() -> Attack {
    Attack::new(
        "GET /members HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        Ending::Answer,
    )
}

pub fn categories() -> Vec<Category> {
    vec![
        Category {
            name: "ws_handshake",
            attacks: bad_handshakes(),
        },
        Category {
            name: "ws_frames",
            attacks: hostile_frames(),
        },
    ]
}

/// The example's WebSocket route, with the name it needs.
pub const ROUTE: &str = "/ws?name=fault";

/// The RFC's sample key: any 16 bytes in base64 will do.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn handshake_with(headers: &str) -> Vec<u8> {
    format!("GET {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n").into_bytes()
}

/// The headers of a good handshake.
pub fn handshake_headers() -> String {
    format!(
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n"
    )
}

fn handshake() -> Vec<u8> {
    handshake_with(&handshake_headers())
}

const FIN: u8 = 0x80;
const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;

/// A frame with `first` as its first byte (FIN, RSV bits, opcode); masked
/// with a fixed key unless `masked` is false.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend((len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend((len as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [0xa1, 0xb2, 0xc3, 0xd4];
        out.extend(key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

fn after_handshake(frames: &[Vec<u8>], ending: Ending) -> Attack {
    let mut bytes = handshake();
    for part in frames {
        bytes.extend_from_slice(part);
    }
    Attack::new(bytes, ending)
}

/// Handshakes a WebSocket server must refuse (with a 4xx).
fn bad_handshakes() -> Vec<Attack> {
    let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\n";
    [
        handshake_with(""),
        handshake_with(&format!("{upgrade}Sec-WebSocket-Key: {KEY}\r\n")),
        handshake_with(&format!("{upgrade}Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: {KEY}\r\n")),
        handshake_with(&format!("{upgrade}Sec-WebSocket-Version: 13\r\n")),
        handshake_with(&format!("{upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n")),
        handshake_with(&format!("{upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: !!!!\r\n")),
        handshake_with(&format!("{upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {}\r\n", "A".repeat(10_000))),
        handshake_with(&format!("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n")),
        handshake_with(&format!("Connection: Upgrade\r\nUpgrade: h2c\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n")),
        format!("GET {ROUTE} HTTP/1.0\r\nHost: 127.0.0.1\r\n{upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n\r\n").into_bytes(),
        format!("POST {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n{upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n\r\n").into_bytes(),
        // No name: the route's own 422 comes first.
        format!("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n{upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n\r\n").into_bytes(),
    ]
    .into_iter()
    .map(|bytes| Attack::new(bytes, Ending::WebSocket))
    .collect()
}

/// After a good handshake: frames the server must close on.
fn hostile_frames() -> Vec<Attack> {
    let big = vec![b'x'; 5000];
    let mut attacks = vec![
        // Oversized: one frame over the example's 4 KiB, a header that
        // announces 1 GiB (and 8 EiB) with no payload, fragments that add
        // up past the limit.
        after_handshake(&[frame(FIN | TEXT, &big, true)], Ending::WebSocket),
        after_handshake(
            &[vec![
                FIN | BINARY,
                0x80 | 127,
                0,
                0,
                0,
                0,
                0x40,
                0,
                0,
                0,
                1,
                2,
                3,
                4,
            ]],
            Ending::WebSocket,
        ),
        after_handshake(
            &[vec![
                FIN | BINARY,
                0x80 | 127,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                1,
                2,
                3,
                4,
            ]],
            Ending::WebSocket,
        ),
        after_handshake(
            &[
                frame(TEXT, &big[..2000], true),
                frame(CONTINUATION, &big[..2000], true),
                frame(FIN | CONTINUATION, &big[..2000], true),
            ],
            Ending::WebSocket,
        ),
        // Bad masking: unmasked client frames, data and control.
        after_handshake(&[frame(FIN | TEXT, b"hello", false)], Ending::WebSocket),
        after_handshake(&[frame(FIN | PING, b"", false)], Ending::WebSocket),
        after_handshake(
            &[frame(FIN | CLOSE, &1000u16.to_be_bytes(), false)],
            Ending::WebSocket,
        ),
        // Invalid UTF-8 in text, whole or split across fragments, and in a
        // close reason.
        after_handshake(
            &[frame(FIN | TEXT, &[0xff, 0xfe, 0xfd], true)],
            Ending::WebSocket,
        ),
        after_handshake(
            &[frame(FIN | TEXT, b"\xed\xa0\x80", true)],
            Ending::WebSocket,
        ),
        after_handshake(
            &[
                frame(TEXT, b"ok \xe2\x82", true),
                frame(FIN | CONTINUATION, b"\xff", true),
            ],
            Ending::WebSocket,
        ),
        after_handshake(
            &[frame(FIN | CLOSE, b"\x03\xe8\xff\xfe", true)],
            Ending::WebSocket,
        ),
        // Protocol breaks: reserved bits, reserved opcodes, a continuation
        // with nothing to continue, a new message inside a fragmented one,
        // fragmented and oversized control frames, close frames with a
        // 1-byte payload or a code no one may send.
        after_handshake(
            &[frame(FIN | 0x40 | TEXT, b"rsv1", true)],
            Ending::WebSocket,
        ),
        after_handshake(&[frame(FIN | 0x3, b"reserved", true)], Ending::WebSocket),
        after_handshake(
            &[frame(FIN | 0xb, b"reserved control", true)],
            Ending::WebSocket,
        ),
        after_handshake(
            &[frame(FIN | CONTINUATION, b"orphan", true)],
            Ending::WebSocket,
        ),
        after_handshake(
            &[frame(TEXT, b"a", true), frame(FIN | TEXT, b"b", true)],
            Ending::WebSocket,
        ),
        after_handshake(&[frame(PING, b"split", true)], Ending::WebSocket),
        after_handshake(&[frame(FIN | PING, &[0; 126], true)], Ending::WebSocket),
        after_handshake(&[frame(FIN | CLOSE, &[3], true)], Ending::WebSocket),
        after_handshake(
            &[frame(FIN | CLOSE, &999u16.to_be_bytes(), true)],
            Ending::WebSocket,
        ),
        after_handshake(
            &[frame(FIN | CLOSE, &1005u16.to_be_bytes(), true)],
            Ending::WebSocket,
        ),
        // Many pings, then a close: every one answered, then the close.
        after_handshake(
            &[
                (0..500)
                    .flat_map(|_| frame(FIN | PING, b"p", true))
                    .collect(),
                frame(FIN | CLOSE, &1000u16.to_be_bytes(), true),
            ],
            Ending::WebSocket,
        ),
        // A frame cut short, then FIN or a reset.
        after_handshake(
            &[frame(FIN | TEXT, b"cut short", true)[..6].to_vec()],
            Ending::HalfClose,
        ),
        after_handshake(
            &[frame(FIN | TEXT, b"cut short", true)[..6].to_vec()],
            Ending::Reset,
        ),
    ];
    // Random bytes right after the handshake (fixed seed, so a finding can
    // be replayed).
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..30 {
        let len = 1 + (next() % 512) as usize;
        let noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        attacks.push(after_handshake(&[noise], Ending::WebSocket));
    }
    attacks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_laid_out_as_rfc_6455_says() {
        assert_eq!(frame(FIN | TEXT, b"hi", false), [0x81, 2, b'h', b'i']);
        let masked = frame(FIN | TEXT, b"hi", true);
        assert_eq!(&masked[..6], [0x81, 0x82, 0xa1, 0xb2, 0xc3, 0xd4]);
        assert_eq!(&masked[6..], [b'h' ^ 0xa1, b'i' ^ 0xb2]);
        assert_eq!(
            &frame(FIN | BINARY, &[0; 300], false)[..4],
            [0x82, 126, 1, 44]
        );
    }
}
