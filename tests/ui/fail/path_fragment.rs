use atode::get;

#[get("/docs#intro")]
async fn docs() -> &'static str {
    "docs"
}

fn main() {}
