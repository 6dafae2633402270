use atode::get;

struct Page {
    title: String,
}

#[get("/")]
async fn index() -> Page {
    Page {
        title: "home".into(),
    }
}

fn main() {}
