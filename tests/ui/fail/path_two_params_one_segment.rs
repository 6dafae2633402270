use atode::get;

#[get("/range/<start>-<end>")]
async fn range(start: u32, end: u32) -> String {
    format!("{start}..{end}")
}

fn main() {}
