use atode::get;

#[get("/")]
async unsafe fn index() -> &'static str {
    "hello"
}

fn main() {}
