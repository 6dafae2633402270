use atode::get;

#[get("/discount/100%")]
async fn discount() -> &'static str {
    "all of it"
}

fn main() {}
