use atode::get;

#[get("/hello world")]
async fn hello() -> &'static str {
    "hi"
}

fn main() {}
