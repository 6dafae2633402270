use atode::{App, routes};

mod api {
    pub mod v1 {
        use atode::get;

        #[get("/v1/users/<id>")]
        pub async fn show(id: u32) -> String {
            id.to_string()
        }

        #[get("/v1/health")]
        pub(crate) async fn health() -> &'static str {
            "ok"
        }
    }

    pub fn routes() -> Vec<atode::routing::RouteDef> {
        atode::routes![v1::show, self::v1::health]
    }
}

#[atode::get("/")]
async fn index() -> &'static str {
    "index"
}

fn main() {
    let _ = App::new()
        .routes(routes![crate::api::v1::show, index])
        .routes(api::routes().into_iter().skip(1));
}
