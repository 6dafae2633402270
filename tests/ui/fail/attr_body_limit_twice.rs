use atode::post;

#[post("/upload", body_limit = 1024, body_limit = 2048)]
async fn upload(body: String) -> String {
    body
}

fn main() {}
