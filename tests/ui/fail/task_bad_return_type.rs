use atode::durable::task;

#[task]
async fn count_users(team: String) -> i32 {
    team.len() as i32
}

#[task]
fn write_report(path: String) -> Result<(), Vec<u8>> {
    let _ = path;
    Ok(())
}

fn main() {}
