use atode::get;

#[get("/files/raw-<rest..>")]
async fn file(rest: String) -> String {
    rest
}

fn main() {}
