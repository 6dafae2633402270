use atode::http::Request;
use atode::{App, Body};

async fn no_next(request: Request<Body>) -> String {
    request.uri().to_string()
}

fn main() {
    let _ = App::new().middleware(no_next);
}
