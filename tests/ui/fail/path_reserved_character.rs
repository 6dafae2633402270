use atode::get;

#[get("/sets/{a,b}")]
async fn sets() -> &'static str {
    "sets"
}

fn main() {}
