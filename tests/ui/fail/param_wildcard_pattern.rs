use atode::{BackgroundTasks, get};

#[get("/ping")]
async fn ping(_: BackgroundTasks) -> &'static str {
    "pong"
}

fn main() {}
