use atode::get;

#[get("/")]
struct Index;

fn main() {}
