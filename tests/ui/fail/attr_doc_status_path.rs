use atode::{post, StatusCode};

#[post("/items", status = StatusCode::CREATED)]
async fn create() -> StatusCode {
    StatusCode::CREATED
}

fn main() {}
