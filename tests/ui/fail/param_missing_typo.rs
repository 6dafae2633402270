use atode::get;

#[get("/users/<emial>")]
async fn user(email: String) -> String {
    email
}

fn main() {}
