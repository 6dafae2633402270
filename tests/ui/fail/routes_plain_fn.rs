use atode::{App, get, routes};

#[get("/")]
async fn index() -> &'static str {
    "hello"
}

async fn about() -> &'static str {
    "about"
}

fn main() {
    let _ = App::new().routes(routes![index, about]);
}
