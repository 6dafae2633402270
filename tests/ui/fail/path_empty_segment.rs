use atode::get;

#[get("/items//<id>")]
async fn item(id: u32) -> String {
    id.to_string()
}

fn main() {}
