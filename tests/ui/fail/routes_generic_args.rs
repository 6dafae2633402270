use atode::{App, get, routes};

#[get("/")]
async fn index() -> &'static str {
    "hello"
}

fn main() {
    let _ = App::new().routes(routes![index::<()>]);
}
