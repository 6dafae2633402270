use atode::durable::task;

struct Mailer;

impl Mailer {
    #[task]
    async fn send_welcome(&self, user_id: u64) -> Result<(), String> {
        let _ = user_id;
        Ok(())
    }
}

fn main() {}
