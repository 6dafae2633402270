use atode::put;

#[put("/items/<id>", status = 200, tags = ["items"], status = 204)]
async fn replace(id: u32) -> String {
    id.to_string()
}

fn main() {}
