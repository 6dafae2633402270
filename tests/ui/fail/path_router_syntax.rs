use atode::get;

// `{id}` is the router's (and axum's) syntax, not atode's.
#[get("/users/{id}/files/{*rest}")]
async fn file(id: u32, rest: String) -> String {
    format!("{id}/{rest}")
}

fn main() {}
