// An associated function parses as a function, but the unit struct that
// `#[task]` makes of it cannot go in an `impl` block: rustc says so, at
// the function's name.
use atode::durable::task;

struct Mailer;

impl Mailer {
    #[task]
    fn send_welcome(user_id: u64) {
        let _ = user_id;
    }
}

fn main() {}
