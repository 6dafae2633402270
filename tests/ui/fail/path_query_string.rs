use atode::get;

#[get("/items?page=<page>")]
async fn items(page: u32) -> String {
    page.to_string()
}

fn main() {}
