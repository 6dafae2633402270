use std::borrow::Cow;

use atode::{App, IntoResponse, Json, Response, StatusCode, get, routes};
use bytes::Bytes;

#[derive(serde::Serialize)]
struct Message {
    message: &'static str,
}

struct Teapot;

impl IntoResponse for Teapot {
    fn into_response(self) -> Response {
        StatusCode::IM_A_TEAPOT.into_response()
    }
}

#[get("/str")]
async fn text() -> &'static str {
    "text"
}

#[get("/string")]
async fn string() -> String {
    String::from("string")
}

#[get("/cow")]
async fn cow() -> Cow<'static, str> {
    Cow::Borrowed("cow")
}

#[get("/bytes")]
async fn binary() -> Bytes {
    Bytes::from_static(b"bytes")
}

#[get("/vec")]
async fn vec() -> Vec<u8> {
    vec![1, 2, 3]
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message { message: "json" })
}

#[get("/status")]
async fn status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[get("/pair")]
async fn pair() -> (StatusCode, Json<Message>) {
    (StatusCode::CREATED, Json(Message { message: "made" }))
}

#[get("/unit")]
async fn unit() {}

#[get("/response")]
async fn response() -> Response {
    "built".into_response()
}

#[get("/result")]
async fn result() -> Result<String, StatusCode> {
    Err(StatusCode::CONFLICT)
}

#[get("/impl")]
async fn opaque() -> impl IntoResponse {
    (StatusCode::OK, "opaque")
}

#[get("/custom")]
async fn custom() -> Teapot {
    Teapot
}

fn main() {
    let _ = App::new().routes(routes![
        text, string, cow, binary, vec, json, status, pair, unit, response, result, opaque, custom
    ]);
}
