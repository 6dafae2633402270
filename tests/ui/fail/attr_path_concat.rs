use atode::get;

#[get(concat!("/api", "/users"))]
async fn list_users() -> &'static str {
    "[]"
}

fn main() {}
