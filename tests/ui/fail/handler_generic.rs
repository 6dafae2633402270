use atode::get;

#[get("/<id>")]
async fn show<T: std::str::FromStr>(id: T) -> &'static str {
    let _ = id;
    "shown"
}

fn main() {}
