use atode::get;

#[get("/hello/<name>")]
async fn hello(name: &str) -> String {
    format!("hello {name}")
}

fn main() {}
