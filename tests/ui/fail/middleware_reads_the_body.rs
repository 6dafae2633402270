use atode::http::Request;
use atode::middleware::Next;
use atode::{App, Body, Json, Response};

async fn log_body(Json(body): Json<String>, request: Request<Body>, next: Next) -> Response {
    println!("{body}");
    next.run(request).await
}

fn main() {
    let _ = App::new().middleware(log_body);
}
