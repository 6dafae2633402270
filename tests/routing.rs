//! Routes end to end: the macros' paths and parameters, the router's 404
//! and 405, path-parameter and JSON errors in FastAPI's shape, and the
//! return types, over a real socket.

mod common;

use std::str::FromStr;

use atode::{
    App, BackgroundTasks, IntoResponse, Json, Response, StatusCode, delete, get, head, options,
    patch, post, put, route, routes,
};
use common::{TestServer, json_request, request};
use serde::{Deserialize, Serialize};

#[get("/items/<item_id>")]
async fn read_item(item_id: u32) -> String {
    format!("item {item_id}")
}

#[get("/users/<user_id>/orders/<order_id>")]
async fn read_order(order_id: u64, user_id: u32) -> String {
    format!("user {user_id} order {order_id}")
}

#[get("/items/latest")]
async fn latest_item() -> &'static str {
    "the latest item"
}

#[get("/files/readme")]
async fn readme() -> &'static str {
    "the readme"
}

#[get("/greet/<name>")]
async fn greet(name: String) -> String {
    format!("hello {name}")
}

#[get("/files/<path..>")]
async fn file(path: String) -> String {
    path
}

#[route(GET, POST, "/multi")]
async fn multi() -> &'static str {
    "either"
}

#[put("/verbs")]
async fn verb_put() -> &'static str {
    "put"
}

#[patch("/verbs")]
async fn verb_patch() -> &'static str {
    "patch"
}

#[delete("/verbs")]
async fn verb_delete() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[options("/verbs")]
async fn verb_options() -> &'static str {
    "options"
}

#[head("/only-head")]
async fn only_head() -> StatusCode {
    StatusCode::OK
}

/// A user's own path parameter type.
#[derive(Debug)]
struct Slug(String);

impl FromStr for Slug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            Ok(Slug(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not a slug: use lowercase letters and dashes"
            ))
        }
    }
}

#[get("/posts/<slug>")]
async fn post_by_slug(slug: Slug) -> String {
    slug.0
}

#[derive(Deserialize, Serialize)]
struct Item {
    name: String,
    price: f64,
}

#[post("/items")]
async fn create_item(tasks: BackgroundTasks, Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    let _ = tasks;
    (StatusCode::CREATED, Json(item))
}

/// A user's own error type.
enum ApiError {
    Missing(u32),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Missing(id) => {
                (StatusCode::NOT_FOUND, format!("no widget {id}")).into_response()
            }
        }
    }
}

#[get("/widgets/<id>")]
async fn widget(id: u32) -> Result<&'static str, ApiError> {
    if id == 1 {
        Ok("widget 1")
    } else {
        Err(ApiError::Missing(id))
    }
}

#[get("/unit")]
async fn unit() {}

#[get("/whoami")]
async fn whoami(atode::RemoteAddr(addr): atode::RemoteAddr) -> String {
    addr.to_string()
}

mod nested {
    pub mod deeper {
        #[atode::get("/nested")]
        pub async fn nested() -> &'static str {
            "from a module"
        }
    }
}

fn app() -> App {
    App::new().body_limit(64).routes(routes![
        read_item,
        latest_item,
        readme,
        read_order,
        greet,
        file,
        multi,
        verb_put,
        verb_patch,
        verb_delete,
        verb_options,
        only_head,
        post_by_slug,
        create_item,
        widget,
        unit,
        whoami,
        nested::deeper::nested,
    ])
}

async fn fetch(
    server: &TestServer,
    request: common::Request,
) -> (StatusCode, http::HeaderMap, String) {
    server.http1().await.fetch(request).await
}

#[tokio::test]
async fn path_parameters_are_parsed_into_the_handlers_types() {
    let server = TestServer::start(app()).await;
    assert_eq!(
        fetch(&server, request("GET", "/items/42")).await.2,
        "item 42"
    );
    assert_eq!(
        fetch(&server, request("GET", "/users/7/orders/99")).await.2,
        "user 7 order 99"
    );
    assert_eq!(
        fetch(&server, request("GET", "/posts/hello-world")).await.2,
        "hello-world"
    );
}

/// A path without parameters is found by its own look-up, not matchit's
/// walk: it still wins over a parameter or rest route it overlaps, only for
/// its exact path, and a parameter route's own syntax is no static path.
#[tokio::test]
async fn a_static_path_wins_over_an_overlapping_parameter_for_its_exact_path_only() {
    let server = TestServer::start(app()).await;
    for (path, body) in [
        ("/items/latest", "the latest item"),
        ("/items/7", "item 7"),
        ("/files/readme", "the readme"),
        ("/files/readme/old", "readme/old"),
        ("/files/readm", "readm"),
        // A request that spells out a parameter route in the router's
        // syntax is still that route, with the braces as the value.
        ("/greet/{name}", "hello {name}"),
    ] {
        let (status, _, text) = fetch(&server, request("GET", path)).await;
        assert_eq!((status, text.as_str()), (StatusCode::OK, body), "{path}");
    }
    // The static path's method set is its own: POST is a 405, not a 404.
    let (status, headers, _) = fetch(&server, request("POST", "/items/latest")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "GET, HEAD");
}

#[tokio::test]
async fn path_parameters_are_percent_decoded() {
    let server = TestServer::start(app()).await;
    assert_eq!(
        fetch(&server, request("GET", "/greet/foo%40example.com"))
            .await
            .2,
        "hello foo@example.com"
    );
    assert_eq!(
        fetch(&server, request("GET", "/greet/caf%C3%A9")).await.2,
        "hello café"
    );
}

#[tokio::test]
async fn a_rest_parameter_takes_the_rest_of_the_path() {
    let server = TestServer::start(app()).await;
    assert_eq!(
        fetch(&server, request("GET", "/files/a/b/c.txt")).await.2,
        "a/b/c.txt"
    );
}

#[tokio::test]
async fn a_path_parameter_that_does_not_parse_is_a_422_in_fastapis_shape() {
    let server = TestServer::start(app()).await;
    let (status, headers, body) = fetch(&server, request("GET", "/items/foo")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(
        body,
        r#"{"detail":[{"type":"int_parsing","loc":["path","item_id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"foo"}]}"#
    );
}

#[tokio::test]
async fn every_bad_path_parameter_is_listed_at_once() {
    let server = TestServer::start(app()).await;
    let (status, _, body) = fetch(&server, request("GET", "/users/x/orders/y")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    let locs: Vec<_> = json["detail"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["loc"][1].clone())
        .collect();
    assert_eq!(locs, ["user_id", "order_id"]);
}

#[tokio::test]
async fn a_custom_types_own_error_is_the_message() {
    let server = TestServer::start(app()).await;
    let (status, _, body) = fetch(&server, request("GET", "/posts/Not%20A%20Slug")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        r#"{"detail":[{"type":"value_error","loc":["path","slug"],"msg":"Value error, `Not A Slug` is not a slug: use lowercase letters and dashes","input":"Not A Slug"}]}"#
    );
}

#[tokio::test]
async fn invalid_utf8_in_a_path_parameter_is_a_422_not_a_panic() {
    let server = TestServer::start(app()).await;
    let (status, _, body) = fetch(&server, request("GET", "/greet/%ff%fe")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains(r#""type":"string_unicode""#), "{body}");
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let server = TestServer::start(app()).await;
    let (status, headers, body) = fetch(&server, request("GET", "/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(body, r#"{"detail":"Not Found"}"#);
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_allow() {
    let server = TestServer::start(app()).await;
    let (status, headers, body) = fetch(&server, request("PUT", "/multi")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[http::header::ALLOW], "GET, HEAD, POST");
    assert_eq!(body, r#"{"detail":"Method Not Allowed"}"#);
    let (_, headers, _) = fetch(&server, request("GET", "/verbs")).await;
    assert_eq!(headers[http::header::ALLOW], "PUT, PATCH, DELETE, OPTIONS");
}

#[tokio::test]
async fn every_verb_routes_to_its_handler() {
    let server = TestServer::start(app()).await;
    assert_eq!(fetch(&server, request("GET", "/multi")).await.2, "either");
    assert_eq!(fetch(&server, request("POST", "/multi")).await.2, "either");
    assert_eq!(fetch(&server, request("PUT", "/verbs")).await.2, "put");
    assert_eq!(fetch(&server, request("PATCH", "/verbs")).await.2, "patch");
    assert_eq!(
        fetch(&server, request("DELETE", "/verbs")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        fetch(&server, request("OPTIONS", "/verbs")).await.2,
        "options"
    );
    assert_eq!(
        fetch(&server, request("HEAD", "/only-head")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        fetch(&server, request("GET", "/nested")).await.2,
        "from a module"
    );
}

#[tokio::test]
async fn head_is_answered_by_the_get_route_without_a_body() {
    let server = TestServer::start(app()).await;
    let (status, headers, body) = fetch(&server, request("HEAD", "/items/3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[http::header::CONTENT_LENGTH], "6");
    assert_eq!(body, "");
}

#[tokio::test]
async fn a_json_body_is_read_and_a_json_response_written() {
    let server = TestServer::start(app()).await;
    let (status, headers, body) = fetch(
        &server,
        json_request("POST", "/items", r#"{"name":"Foo","price":3.5}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(body, r#"{"name":"Foo","price":3.5}"#);
}

#[tokio::test]
async fn a_json_body_without_a_json_content_type_is_a_415() {
    let server = TestServer::start(app()).await;
    let mut plain = json_request("POST", "/items", r#"{"name":"Foo","price":3.5}"#);
    plain.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    let (status, _, body) = fetch(&server, plain).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        body,
        r#"{"detail":"Expected a request body with `Content-Type: application/json`"}"#
    );
}

#[tokio::test]
async fn malformed_json_is_a_422_json_invalid() {
    let server = TestServer::start(app()).await;
    let (status, _, body) = fetch(
        &server,
        json_request("POST", "/items", r#"{"name": "Foo", "#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["detail"][0]["type"], "json_invalid");
    assert_eq!(json["detail"][0]["loc"][0], "body");
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_422_as_pydantic_words_it_echoing_the_input() {
    let server = TestServer::start(app()).await;
    // Each as FastAPI answers it: an array of the fields in order is no
    // object to read fields from, though serde would take it.
    for (sent, detail) in [
        (
            r#"["pen", 2.5]"#,
            r#"{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":["pen",2.5]}"#,
        ),
        (
            r#"{"name": "pen"}"#,
            r#"{"type":"missing","loc":["body","price"],"msg":"Field required","input":{"name":"pen"}}"#,
        ),
        (
            r#"{"name": 7, "price": 2.5}"#,
            r#"{"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string","input":7}"#,
        ),
    ] {
        let (status, _, body) = fetch(&server, json_request("POST", "/items", sent)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{sent}");
        assert_eq!(body, format!(r#"{{"detail":[{detail}]}}"#), "{sent}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let server = TestServer::start(app()).await;
    let big = format!(r#"{{"name":"{}","price":1}}"#, "x".repeat(100));
    let (status, _, body) = fetch(&server, json_request("POST", "/items", &big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        r#"{"detail":"Request body is larger than the limit of 64 bytes"}"#
    );
}

#[tokio::test]
async fn a_users_error_type_is_its_own_response() {
    let server = TestServer::start(app()).await;
    assert_eq!(
        fetch(&server, request("GET", "/widgets/1")).await.2,
        "widget 1"
    );
    let (status, _, body) = fetch(&server, request("GET", "/widgets/2")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, "no widget 2")
    );
}

#[tokio::test]
async fn unit_is_an_empty_200() {
    let server = TestServer::start(app()).await;
    let (status, headers, body) = fetch(&server, request("GET", "/unit")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert_eq!(headers[http::header::CONTENT_LENGTH], "0");
}

#[tokio::test]
async fn the_remote_address_is_the_clients_socket() {
    let server = TestServer::start(app()).await;
    let stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let local = stream.local_addr().expect("local addr");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(connection);
    let response = sender
        .send_request(request("GET", "/whoami"))
        .await
        .expect("response");
    let (status, _, body) = common::read_all(response).await;
    assert_eq!((status, body), (StatusCode::OK, local.to_string()));
}

#[test]
fn two_routes_for_one_request_are_a_start_up_error_naming_both() {
    #[get("/items/<item_id>")]
    async fn duplicate(item_id: u32) -> String {
        item_id.to_string()
    }
    #[get("/items/<name>")]
    async fn by_name(name: String) -> String {
        name
    }
    let error = App::new()
        .routes(routes![read_item])
        .routes(routes![duplicate, by_name])
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`read_item` and `duplicate` both answer GET /items/<item_id>"),
        "{error}"
    );
    assert!(
        error.contains(
            "`by_name` (/items/<name>) and `read_item` (/items/<item_id>) match the same requests"
        ),
        "{error}"
    );
}

/// A handler stays an ordinary `async fn`: a unit test calls it with a list
/// of its own and looks at what it queued.
#[tokio::test]
async fn a_handler_can_be_called_directly_in_a_unit_test() {
    async fn send(_to: String) {}

    #[post("/notify/<email>")]
    async fn notify(email: String, background_tasks: BackgroundTasks) -> &'static str {
        background_tasks.add_task(send, (email,));
        "queued"
    }

    let tasks = BackgroundTasks::new();
    assert_eq!(
        notify("a@example.com".to_owned(), tasks.clone()).await,
        "queued"
    );
    assert_eq!(tasks.len(), 1);
    assert!(
        tasks.task_names()[0].ends_with("::send"),
        "{:?}",
        tasks.task_names()
    );
    assert_eq!(tasks.run().await.completed, 1);
}

/// The trailing-slash rule's routes: `/api/v1/users/` is a prefix and
/// `"/"`, as a FastAPI router's `@router.post("/")` is.
mod slashes {
    use atode::{Method, StatusCode, Uri, get, post};

    #[post("/")]
    pub async fn create_user(method: Method, uri: Uri, body: String) -> (StatusCode, String) {
        (StatusCode::CREATED, format!("{method} {uri} {body}"))
    }

    #[get("/both")]
    pub async fn bare() -> &'static str {
        "bare"
    }

    #[get("/both/")]
    pub async fn slashed() -> &'static str {
        "slashed"
    }

    #[get("/<page>")]
    pub async fn page(page: String) -> String {
        format!("page {page}")
    }
}

fn slash_app() -> App {
    let users = atode::Router::new("/api/v1/users").routes(routes![slashes::create_user]);
    App::new()
        .router(users)
        .routes(routes![slashes::bare, slashes::slashed, slashes::page])
}

#[tokio::test]
async fn a_path_that_matches_with_its_last_slash_toggled_is_a_307_there_keeping_the_query() {
    let server = TestServer::start(slash_app()).await;
    let (status, headers, body) = fetch(
        &server,
        json_request("POST", "/api/v1/users?notify=1&to=a%20b", "{}"),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::TEMPORARY_REDIRECT, "")
    );
    assert_eq!(
        headers[http::header::LOCATION],
        "/api/v1/users/?notify=1&to=a%20b"
    );
    // For any method, as Starlette's: the twin's `405` is met there.
    let (status, headers, _) = fetch(&server, request("GET", "/api/v1/users")).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers[http::header::LOCATION], "/api/v1/users/");
    // Removed as well as added, and onto a route with parameters.
    let (status, headers, _) = fetch(&server, request("GET", "/intro/")).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers[http::header::LOCATION], "/intro");
}

#[tokio::test]
async fn a_post_that_follows_the_redirect_is_the_same_post_with_its_body() {
    let server = TestServer::start(slash_app()).await;
    let body = r#"{"name": "Ada"}"#;
    let mut connection = server.http1().await;
    let (status, headers, _) = connection
        .fetch(json_request("POST", "/api/v1/users", body))
        .await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    // What `curl -L` does with a `307`: the same method and body, there.
    let location = headers[http::header::LOCATION].to_str().unwrap();
    let (status, _, answer) = connection.fetch(json_request("POST", location, body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(answer, r#"POST /api/v1/users/ {"name": "Ada"}"#);
}

#[tokio::test]
async fn a_route_that_matches_exactly_wins_and_with_redirects_off_the_twin_is_a_404() {
    let server = TestServer::start(slash_app()).await;
    assert_eq!(fetch(&server, request("GET", "/both")).await.2, "bare");
    assert_eq!(fetch(&server, request("GET", "/both/")).await.2, "slashed");
    // A known path's other method is its own `405`, not a redirect.
    let (status, headers, _) = fetch(&server, request("DELETE", "/both")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers.get(http::header::LOCATION).is_none());

    let strict = TestServer::start(slash_app().redirect_slashes(false)).await;
    for (method, path) in [("POST", "/api/v1/users"), ("GET", "/intro/")] {
        let (status, headers, body) = fetch(&strict, request(method, path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(headers.get(http::header::LOCATION).is_none());
        assert_eq!(body, r#"{"detail":"Not Found"}"#);
    }
    assert_eq!(
        fetch(&strict, request("POST", "/api/v1/users/")).await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_hostile_path_is_never_redirected_to_another_host() {
    let server = TestServer::start(slash_app()).await;
    // `/\evil.example` matches `/<page>`, and browsers read a `Location`
    // of `/\host` (or `//host`) as another host.
    for path in ["/\\evil.example/", "//evil.example/", "//evil.example"] {
        let (status, headers, _) = fetch(&server, request("GET", path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(headers.get(http::header::LOCATION).is_none(), "{path}");
    }
    // A long path costs one look-up more, and is sent back to this server.
    let long = format!("/{}/", "a".repeat(16 * 1024));
    let (status, headers, _) = fetch(&server, request("GET", &long)).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers[http::header::LOCATION], long[..long.len() - 1]);
}
