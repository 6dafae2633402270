use atode::get;

#[get("/pair/<a>")]
async fn pair((a, b): (String, String)) -> String {
    a + &b
}

fn main() {}
