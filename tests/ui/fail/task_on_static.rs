// A closure cannot take an attribute; one stored in a `static` is no task either.
use atode::durable::task;

fn send(_user_id: u64) {}

#[task]
static SEND_WELCOME: fn(u64) = send;

fn main() {}
