//! `body_limit = <bytes>` sets a route's own body limit: any constant
//! expression of type `usize`, after the path.

use atode::{App, Json, post, route, routes};

const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

#[post("/upload", body_limit = UPLOAD_LIMIT)]
async fn upload(body: bytes::Bytes) -> String {
    body.len().to_string()
}

#[route(POST, PUT, "/notes", body_limit = 4 * 1024)]
async fn note(Json(text): Json<String>) -> String {
    text
}

fn main() {
    let _ = App::new().routes(routes![upload, note]);
}
