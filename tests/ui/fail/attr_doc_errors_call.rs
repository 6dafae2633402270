use atode::{HttpError, get};

#[get("/items/<id>", errors(404, 409))]
async fn item(id: u32) -> Result<String, HttpError> {
    Ok(id.to_string())
}

fn main() {}
