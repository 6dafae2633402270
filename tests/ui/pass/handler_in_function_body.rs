// Handlers declared inside a function (as a test often does) are listed by
// name like any other.
use atode::{App, get, routes};

fn main() {
    #[get("/inner/<id>")]
    async fn inner(id: u32) -> String {
        id.to_string()
    }

    mod local {
        #[atode::post("/local")]
        pub async fn local() -> &'static str {
            "local"
        }
    }

    let _ = App::new().routes(routes![inner, local::local]);
}
