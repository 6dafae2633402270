use atode::get;

#[get("/old", deprecated = "use /new")]
async fn old() -> &'static str {
    "old"
}

fn main() {}
