use std::rc::Rc;

use atode::get;

async fn tick() {}

#[get("/")]
async fn index() -> String {
    let shared = Rc::new(String::from("not Send"));
    tick().await;
    shared.to_string()
}

fn main() {}
