use atode::delete;

#[delete("/items/<id>", status)]
async fn remove(id: u32) -> String {
    id.to_string()
}

fn main() {}
