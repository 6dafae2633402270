use atode::get;

#[get("/")]
trait Index {
    fn index(&self) -> &'static str;
}

fn main() {}
