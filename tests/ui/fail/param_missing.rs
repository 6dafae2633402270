use atode::get;

#[get("/users/<user_id>")]
async fn user(id: u32) -> String {
    id.to_string()
}

fn main() {}
