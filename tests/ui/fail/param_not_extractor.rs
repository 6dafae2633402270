use atode::get;

#[get("/users")]
async fn users(limit: u32) -> String {
    limit.to_string()
}

fn main() {}
