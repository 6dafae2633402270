use atode::{App, routes};

struct About;

fn main() {
    let _ = App::new().routes(routes![About]);
}
