use atode::get;

#[get("/internal", include_in_schema = "false")]
async fn internal() -> &'static str {
    "ok"
}

fn main() {}
