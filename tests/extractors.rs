//! Every extractor, rejection and response type, with the exact status and
//! body a client sees. Driven in-process with `TestClient`: the socket is
//! not the point here (the other suites cover it).

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};

use atode::extract::{BearerToken, BodyRejection, UserAgent};
use atode::response::{Html, Redirect};
use atode::testing::TestClient;
use atode::{
    App, BackgroundTasks, Form, HeaderMap, IntoResponse, Json, JsonRejection, Method, Query,
    RemoteAddr, Response, State, StatusCode, TypedHeader, Uri, get, post, routes,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize)]
struct Search {
    q: String,
    limit: Option<u32>,
}

#[get("/search")]
async fn search(Query(search): Query<Search>) -> Json<Search> {
    Json(search)
}

#[derive(Deserialize, Serialize)]
struct Item {
    name: String,
    price: f64,
}

#[post("/items")]
async fn create_item(Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    (StatusCode::CREATED, Json(item))
}

#[derive(Deserialize)]
struct Login {
    username: String,
    remember: Option<bool>,
}

#[post("/login")]
async fn login(Form(login): Form<Login>) -> String {
    format!(
        "{} remember={}",
        login.username,
        login.remember.unwrap_or(false)
    )
}

#[post("/bytes")]
async fn raw_bytes(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[post("/text")]
async fn raw_text(body: String) -> String {
    body.to_uppercase()
}

#[get("/head")]
async fn head_parts(method: Method, uri: Uri, headers: HeaderMap) -> String {
    let agent = headers
        .get("x-probe")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    format!("{method} {uri} {agent}")
}

#[get("/agent")]
async fn agent(TypedHeader(UserAgent(agent)): TypedHeader<UserAgent>) -> String {
    agent
}

#[get("/token")]
async fn token(TypedHeader(BearerToken(token)): TypedHeader<BearerToken>) -> String {
    token
}

#[derive(Clone)]
struct Greeting(&'static str);

#[get("/state")]
async fn state(State(greeting): State<Greeting>) -> &'static str {
    greeting.0
}

#[derive(Clone)]
struct NeverGiven;

#[get("/missing-state")]
async fn missing_state(State(_never): State<NeverGiven>) -> &'static str {
    "unreachable"
}

#[post("/small", body_limit = 8)]
async fn small_body(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[get("/whoami")]
async fn whoami(RemoteAddr(addr): RemoteAddr) -> String {
    addr.to_string()
}

#[get("/maybe")]
async fn maybe(search: Option<Query<Search>>) -> String {
    search.map_or_else(|| "no search".to_owned(), |Query(s)| s.q)
}

#[post("/lenient")]
async fn lenient(body: Result<Json<Item>, JsonRejection>) -> String {
    match body {
        Ok(Json(item)) => item.name,
        Err(JsonRejection::Body(BodyRejection::UnsupportedMediaType(_))) => "not json".to_owned(),
        Err(other) => format!("{other:?}"),
    }
}

#[get("/html")]
async fn html() -> Html<&'static str> {
    Html("<h1>hi</h1>")
}

#[get("/see-other")]
async fn see_other() -> Redirect {
    Redirect::to("/html")
}

#[get("/moved")]
async fn moved() -> Redirect {
    Redirect::permanent("/html")
}

#[get("/temporary")]
async fn temporary() -> Redirect {
    Redirect::temporary("/html")
}

#[post("/with-headers")]
async fn with_headers() -> (StatusCode, [(&'static str, &'static str); 2], &'static str) {
    (
        StatusCode::CREATED,
        [("location", "/items/7"), ("x-request-id", "abc")],
        "made",
    )
}

#[get("/header-map")]
async fn header_map() -> (HeaderMap, Json<Vec<u8>>) {
    let mut headers = HeaderMap::new();
    headers.insert("cache-control", "no-store".parse().expect("header value"));
    (headers, Json(vec![1, 2, 3]))
}

#[derive(Clone, Default)]
struct Outbox(Arc<Mutex<Vec<String>>>);

fn deliver(outbox: Outbox, to: String) {
    outbox.0.lock().expect("outbox").push(to);
}

#[post("/send/<to>")]
async fn send(to: String, State(outbox): State<Outbox>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(deliver, (outbox, to));
    "queued"
}

/// Holds a task until the test releases it.
#[derive(Clone, Default)]
struct Gate(Arc<tokio::sync::Notify>);

async fn deliver_when_released(gate: Gate, outbox: Outbox, to: String) {
    gate.0.notified().await;
    deliver(outbox, to);
}

#[post("/send-later/<to>")]
async fn send_later(
    to: String,
    State(gate): State<Gate>,
    State(outbox): State<Outbox>,
    tasks: BackgroundTasks,
) -> &'static str {
    tasks.add_task(deliver_when_released, (gate, outbox, to));
    "queued"
}

fn app(outbox: Outbox) -> App {
    App::new()
        .state(Greeting("hello from state"))
        .state(outbox)
        .state(Gate::default())
        .body_limit(64)
        .routes(routes![
            search,
            create_item,
            login,
            raw_bytes,
            raw_text,
            head_parts,
            agent,
            token,
            state,
            whoami,
            maybe,
            lenient,
            html,
            see_other,
            moved,
            temporary,
            with_headers,
            header_map,
            send,
            send_later,
            small_body,
        ])
}

fn client() -> TestClient {
    TestClient::new(app(Outbox::default()))
}

#[tokio::test]
async fn query_fields_are_deserialized() {
    let response = client()
        .get("/search")
        .query(&[("q", "rust web"), ("limit", "5")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text(), r#"{"q":"rust web","limit":5}"#);
}

#[tokio::test]
async fn a_missing_query_field_is_a_422_missing() {
    let response = client().get("/search").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.text(),
        r#"{"detail":[{"type":"missing","loc":["query","q"],"msg":"Field required","input":null}]}"#
    );
}

#[tokio::test]
async fn query_problems_are_listed_together() {
    let response = client().get("/search").query(&[("limit", "lots")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.text(),
        r#"{"detail":[{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"lots"},{"type":"missing","loc":["query","q"],"msg":"Field required","input":null}]}"#
    );
}

#[tokio::test]
async fn json_bodies_round_trip() {
    let response = client()
        .post("/items")
        .json(&serde_json::json!({"name": "Foo", "price": 1.5}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), r#"{"name":"Foo","price":1.5}"#);
}

#[tokio::test]
async fn json_without_its_content_type_is_a_415() {
    let response = client()
        .post("/items")
        .body(r#"{"name":"Foo","price":1.5}"#)
        .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        response.text(),
        r#"{"detail":"Expected a request body with `Content-Type: application/json`"}"#
    );
}

#[tokio::test]
async fn malformed_json_is_a_422_json_invalid_at_its_offset() {
    let response = client()
        .post("/items")
        .header("content-type", "application/json")
        .body(r#"{"name": "Foo",}"#)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json();
    assert_eq!(body["detail"][0]["type"], "json_invalid");
    assert_eq!(body["detail"][0]["loc"], serde_json::json!(["body", 15]));
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_422_naming_the_field() {
    let client = client();
    let response = client
        .post("/items")
        .json(&serde_json::json!({"name": "Foo"}))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.text(),
        r#"{"detail":[{"type":"missing","loc":["body","price"],"msg":"Field required","input":{"name":"Foo"}}]}"#
    );
    let response = client
        .post("/items")
        .json(&serde_json::json!({"name": "Foo", "price": "cheap"}))
        .await;
    assert_eq!(
        response.text(),
        r#"{"detail":[{"type":"float_parsing","loc":["body","price"],"msg":"Input should be a valid number, unable to parse string as a number","input":"cheap"}]}"#
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let response = client().post("/bytes").body(vec![b'x'; 65]).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.text(),
        r#"{"detail":"Request body is larger than the limit of 64 bytes"}"#
    );
    assert_eq!(
        client().post("/bytes").body(vec![b'x'; 64]).await.text(),
        "64 bytes"
    );
}

#[tokio::test]
async fn forms_are_deserialized_and_checked() {
    let client = client();
    let response = client
        .post("/login")
        .form(&[("username", "ada lovelace"), ("remember", "on")])
        .await;
    assert_eq!(response.text(), "ada lovelace remember=true");

    let response = client.post("/login").form(&[("remember", "maybe")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.text(),
        r#"{"detail":[{"type":"bool_parsing","loc":["body","remember"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"},{"type":"missing","loc":["body","username"],"msg":"Field required","input":null}]}"#
    );

    let response = client
        .post("/login")
        .json(&serde_json::json!({"username": "ada"}))
        .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        response.text(),
        r#"{"detail":"Expected a request body with `Content-Type: application/x-www-form-urlencoded`"}"#
    );
}

#[tokio::test]
async fn raw_text_must_be_utf8() {
    let client = client();
    assert_eq!(client.post("/text").body("shout").await.text(), "SHOUT");
    let response = client.post("/text").body(vec![0xff, 0xfe]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.text(),
        r#"{"detail":"The request body is not valid UTF-8"}"#
    );
}

#[tokio::test]
async fn the_request_head_is_extractable() {
    let response = client()
        .get("/head")
        .query(&[("a", "1")])
        .header("x-probe", "yes")
        .await;
    assert_eq!(response.text(), "GET /head?a=1 yes");
}

#[tokio::test]
async fn typed_headers_are_parsed_or_a_422() {
    let client = client();
    assert_eq!(
        client
            .get("/agent")
            .header("user-agent", "curl/8")
            .await
            .text(),
        "curl/8"
    );
    let response = client.get("/agent").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.text(),
        r#"{"detail":[{"type":"missing","loc":["header","user-agent"],"msg":"Field required","input":null}]}"#
    );
    assert_eq!(
        client
            .get("/token")
            .header("authorization", "Bearer s3cret")
            .await
            .text(),
        "s3cret"
    );
    let response = client
        .get("/token")
        .header("authorization", "Basic abc")
        .await;
    assert_eq!(
        response.text(),
        r#"{"detail":[{"type":"value_error","loc":["header","authorization"],"msg":"Expected `Authorization: Bearer <token>`","input":"Basic abc"}]}"#
    );
}

#[tokio::test]
async fn state_is_shared_with_handlers() {
    assert_eq!(client().get("/state").await.text(), "hello from state");
}

#[tokio::test]
async fn a_missing_state_is_a_start_up_error_not_a_500() {
    let app = App::new().routes(routes![missing_state]);
    let error = app.check().expect_err("the app has no NeverGiven");
    assert!(
        error
            .to_string()
            .contains("`missing_state` (/missing-state) takes `State<"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("NeverGiven>`, but the app has no"),
        "{error}"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let served = atode::serve(listener, app).await;
    assert_eq!(
        served.expect_err("serve refuses to start").kind(),
        std::io::ErrorKind::InvalidInput
    );
}

#[test]
#[should_panic(expected = "NeverGiven>`, but the app has no")]
fn a_test_client_refuses_an_app_with_missing_state() {
    let _ = TestClient::new(App::new().routes(routes![missing_state]));
}

#[tokio::test]
async fn a_route_can_set_its_own_body_limit() {
    let client = client();
    assert_eq!(
        client.post("/small").body("8 bytes!").await.text(),
        "8 bytes"
    );
    let response = client.post("/small").body("9 bytes!!").await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.text(),
        r#"{"detail":"Request body is larger than the limit of 8 bytes"}"#
    );
}

#[tokio::test]
async fn the_remote_address_is_extractable() {
    let addr = "10.1.2.3:4567".parse().expect("addr");
    assert_eq!(
        client().get("/whoami").remote_addr(addr).await.text(),
        "10.1.2.3:4567"
    );
}

#[tokio::test]
async fn option_and_result_let_a_handler_decide() {
    let client = client();
    assert_eq!(client.get("/maybe").await.text(), "no search");
    assert_eq!(client.get("/maybe").query(&[("q", "x")]).await.text(), "x");
    assert_eq!(
        client.post("/lenient").body("plain").await.text(),
        "not json"
    );
    let json = client
        .post("/lenient")
        .json(&serde_json::json!({"name": "Foo", "price": 2}))
        .await;
    assert_eq!(json.text(), "Foo");
}

#[tokio::test]
async fn html_and_redirects() {
    let client = client();
    let response = client.get("/html").await;
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(response.text(), "<h1>hi</h1>");
    for (path, status) in [
        ("/see-other", StatusCode::SEE_OTHER),
        ("/moved", StatusCode::PERMANENT_REDIRECT),
        ("/temporary", StatusCode::TEMPORARY_REDIRECT),
    ] {
        let response = client.get(path).await;
        assert_eq!(
            (response.status(), response.header("location")),
            (status, Some("/html")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn headers_with_a_body() {
    let client = client();
    let response = client.post("/with-headers").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.header("location"), Some("/items/7"));
    assert_eq!(response.header("x-request-id"), Some("abc"));
    assert_eq!(response.text(), "made");
    let response = client.get("/header-map").await;
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.text(), "[1,2,3]");
}

#[test]
fn an_invalid_header_is_a_server_error() {
    let response: Response = ([("bad header", "x")], "body").into_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn the_test_client_answers_head_without_a_body_as_a_server_does() {
    let response = client().head("/html").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(response.text(), "");
}

#[tokio::test]
async fn the_test_client_waits_for_tasks_by_default() {
    let outbox = Outbox::default();
    let client = TestClient::new(app(outbox.clone()));
    assert_eq!(client.post("/send/ada").await.text(), "queued");
    assert_eq!(*outbox.0.lock().expect("outbox"), ["ada"]);
}

#[tokio::test]
async fn the_test_client_can_return_before_the_tasks_finish() {
    let outbox = Outbox::default();
    let gate = Gate::default();
    let client = TestClient::new(app(outbox.clone()).state(gate.clone()));
    // The task waits for the gate, so a client that waited for it would hang.
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client
            .post("/send-later/grace")
            .without_waiting_for_tasks()
            .into_future(),
    )
    .await
    .expect("the request returned without waiting for its task");
    assert_eq!(response.text(), "queued");
    assert!(outbox.0.lock().expect("outbox").is_empty());

    gate.0.notify_one();
    client.wait_for_tasks().await;
    assert_eq!(*outbox.0.lock().expect("outbox"), ["grace"]);
    assert_eq!(client.task_monitor().stats().completed, 1);
}

#[derive(Deserialize, Serialize)]
struct Counts {
    total: u32,
    each: Vec<i64>,
}

#[post("/counts")]
async fn counts(Json(counts): Json<Counts>) -> Json<Counts> {
    Json(counts)
}

/// JSON Schema, and so the OpenAPI document, counts `3.0` as an integer,
/// and FastAPI accepts it as one: so does `Json`. A fraction is still a 422.
#[tokio::test]
async fn json_takes_a_float_without_a_fraction_where_an_integer_is_expected() {
    let client = TestClient::new(App::new().routes(routes![counts]));
    let response = client
        .post("/counts")
        .header("content-type", "application/json")
        .body(r#"{"total": 3.0, "each": [-2.0, 1, 4e0]}"#)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text());
    assert_eq!(response.text(), r#"{"total":3,"each":[-2,1,4]}"#);

    let response = client
        .post("/counts")
        .header("content-type", "application/json")
        .body(r#"{"total": 3.5, "each": []}"#)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json();
    assert_eq!(body["detail"][0]["type"], "int_from_float");
    assert_eq!(
        body["detail"][0]["loc"],
        serde_json::json!(["body", "total"])
    );
}
