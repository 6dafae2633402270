use atode::get;

#[get("/")]
enum Index {
    Home,
}

fn main() {}
