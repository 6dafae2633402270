//! Routers: routes under a prefix, nested, with tags, over a real socket;
//! and the start-up errors a wrong prefix or a clash between routers gives.

mod common;

use atode::{App, Router, StatusCode, get, post, routes};
use common::{Http1, TestServer, request};
use serde_json::json;

mod users {
    use atode::{Router, get, post, routes};

    /// List users.
    #[get("/")]
    pub async fn list_users() -> &'static str {
        "[]"
    }

    #[get("/<id>")]
    pub async fn read_user(id: u32) -> String {
        format!("user {id}")
    }

    #[post("/<id>/ban", tags = ["admin"])]
    pub async fn ban_user(id: u32) -> String {
        format!("banned {id}")
    }

    pub fn router() -> Router {
        Router::new("/users")
            .tag("users")
            .routes(routes![list_users, read_user, ban_user])
    }
}

#[get("/health")]
async fn health() -> &'static str {
    "ok"
}

fn app() -> App {
    let api = Router::new("/api/v1").tag("v1").router(users::router());
    App::new().routes(routes![health]).router(api)
}

#[tokio::test]
async fn nested_routers_serve_their_routes_under_the_joined_prefix() {
    let server = TestServer::start(app()).await;
    let mut client = Http1::connect(server.addr).await;
    let mut fetch = async |method, path| {
        let (status, _, body) = client.fetch(request(method, path)).await;
        (status.as_u16(), body)
    };
    assert_eq!(fetch("GET", "/api/v1/users/").await, (200, "[]".to_owned()));
    assert_eq!(
        fetch("GET", "/api/v1/users/7").await,
        (200, "user 7".to_owned())
    );
    assert_eq!(
        fetch("POST", "/api/v1/users/7/ban").await,
        (200, "banned 7".to_owned())
    );
    assert_eq!(fetch("GET", "/health").await, (200, "ok".to_owned()));
    // Not without the prefix, and a path parameter still parses.
    assert_eq!(fetch("GET", "/users/7").await.0, 404);
    assert_eq!(fetch("GET", "/api/v1/users/seven").await.0, 422);
    assert_eq!(fetch("DELETE", "/api/v1/users/7").await.0, 405);
}

#[test]
fn the_document_has_the_joined_paths_and_the_routers_tags_after_the_routes() {
    let doc = app().openapi().unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut keys: Vec<&String> = paths.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "/api/v1/users/",
            "/api/v1/users/{id}",
            "/api/v1/users/{id}/ban",
            "/health"
        ]
    );
    assert_eq!(
        doc["paths"]["/api/v1/users/"]["get"]["tags"],
        json!(["users", "v1"])
    );
    assert_eq!(
        doc["paths"]["/api/v1/users/"]["get"]["summary"],
        "List users."
    );
    assert_eq!(
        doc["paths"]["/api/v1/users/{id}/ban"]["post"]["tags"],
        json!(["admin", "users", "v1"])
    );
    assert!(doc["paths"]["/health"]["get"].get("tags").is_none());
}

#[get("/users/<name>")]
async fn by_name(name: String) -> String {
    name
}

#[post("/")]
async fn create() -> StatusCode {
    StatusCode::CREATED
}

#[test]
fn a_clash_between_routers_and_a_wrong_prefix_are_start_up_errors_naming_them() {
    let error = App::new()
        .router(Router::new("/api/v1").router(users::router()))
        .router(Router::new("/api/v1").routes(routes![by_name]))
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`by_name` (/api/v1/users/<name>) and `read_user` (/api/v1/users/<id>) match the same requests"),
        "{error}"
    );

    for (prefix, problem) in [
        ("api", "does not start with `/`"),
        ("/api/", "ends with `/`"),
        ("/teams/<team>", "has a parameter"),
    ] {
        let error = App::new()
            .router(Router::new(prefix).routes(routes![create]))
            .check()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("the router prefix `{prefix}` {problem}")),
            "{error}"
        );
    }
    // A nested router's problem is the app's.
    let nested = Router::new("/api").router(Router::new("v2").routes(routes![create]));
    assert!(App::new().router(nested).check().is_err());
}
