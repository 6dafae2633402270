use atode::get;

struct UserId(u64);

#[get("/users/<id>")]
async fn user(id: UserId) -> String {
    id.0.to_string()
}

fn main() {}
