use atode::get;

#[get("/users/<foo-bar>")]
async fn user(foo_bar: String) -> String {
    foo_bar
}

fn main() {}
