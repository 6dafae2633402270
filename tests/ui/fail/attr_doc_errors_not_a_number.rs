use atode::{HttpError, StatusCode, get};

#[get("/items/<id>", errors = [StatusCode::NOT_FOUND, "409"])]
async fn item(id: u32) -> Result<String, HttpError> {
    let _ = StatusCode::OK;
    Ok(id.to_string())
}

fn main() {}
