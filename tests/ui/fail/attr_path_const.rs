use atode::get;

const USERS: &str = "/users";

#[get(USERS)]
async fn list_users() -> &'static str {
    "[]"
}

fn main() {}
