use atode::get;

#[get("/files/<rest..>/raw")]
async fn file(rest: String) -> String {
    rest
}

fn main() {}
