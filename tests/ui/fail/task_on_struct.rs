use atode::durable::task;

#[task]
struct SendWelcome {
    user_id: u64,
}

fn main() {}
