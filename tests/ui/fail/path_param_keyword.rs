use atode::get;

#[get("/things/<type>")]
async fn thing(kind: String) -> String {
    kind
}

fn main() {}
