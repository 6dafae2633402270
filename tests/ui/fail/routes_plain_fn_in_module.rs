use atode::{App, routes};

mod pages {
    use atode::get;

    #[get("/")]
    pub async fn index() -> &'static str {
        "hello"
    }

    pub async fn about() -> &'static str {
        "about"
    }
}

fn main() {
    let _ = App::new().routes(routes![pages::index, pages::about]);
}
