use atode::{App, StatusCode, delete, get, head, options, patch, post, put, routes};

#[get("/items")]
async fn list() -> &'static str {
    "items"
}

#[post("/items")]
async fn create() -> StatusCode {
    StatusCode::CREATED
}

#[put("/items/<id>")]
async fn replace(id: u32) -> String {
    format!("replaced {id}")
}

#[patch("/items/<id>")]
async fn update(id: u32) -> String {
    format!("updated {id}")
}

#[delete("/items/<id>")]
async fn remove(id: u32) -> StatusCode {
    let _ = id;
    StatusCode::NO_CONTENT
}

#[head("/items")]
async fn probe() -> StatusCode {
    StatusCode::OK
}

#[options("/items")]
async fn allowed() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {
    let _ = App::new().routes(routes![
        list, create, replace, update, remove, probe, allowed
    ]);
}
