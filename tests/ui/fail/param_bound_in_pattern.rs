use atode::{Json, put};

#[put("/items/<id>")]
async fn update(Json(id): Json<u32>) -> String {
    id.to_string()
}

fn main() {}
