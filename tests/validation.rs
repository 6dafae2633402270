//! Declarative validation over a real socket: `validator` rules on the
//! types of `Json<T>`, `Query<T>` and `Form<T>` parameters answer `422` in
//! FastAPI's shape, every failing field listed, before the handler runs;
//! and the OpenAPI document carries the same rules.

mod common;

use atode::{App, BackgroundTasks, Form, Json, Query, StatusCode, get, post, routes};
use common::{Http1, TestServer, json_request, request};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use validator::Validate;

#[derive(Deserialize, Validate, JsonSchema)]
struct NewUser {
    #[validate(length(min = 3, max = 20))]
    name: String,
    #[validate(email)]
    email: String,
    #[validate(range(min = 13, max = 130))]
    age: u32,
    #[validate(length(min = 1), nested)]
    addresses: Vec<Address>,
}

#[derive(Deserialize, Serialize, Validate, JsonSchema)]
struct Address {
    #[validate(length(equal = 5))]
    zip: String,
}

#[derive(Clone)]
struct Ran(mpsc::UnboundedSender<String>);

fn record(ran: Ran, name: String) {
    let _ = ran.0.send(name);
}

#[post("/users")]
async fn create_user(
    tasks: BackgroundTasks,
    atode::State(ran): atode::State<Ran>,
    Json(user): Json<NewUser>,
) -> (StatusCode, String) {
    tasks.add_task(record, (ran, user.name.clone()));
    (StatusCode::CREATED, user.name)
}

#[derive(Deserialize, Validate, JsonSchema)]
struct Page {
    #[validate(range(min = 1, max = 100))]
    limit: u32,
    #[validate(range(exclusive_min = 0.0))]
    min_price: Option<f64>,
}

#[get("/items")]
async fn list_items(Query(page): Query<Page>) -> String {
    format!("up to {}", page.limit)
}

#[derive(Deserialize, Validate, JsonSchema)]
struct Login {
    #[validate(length(min = 8))]
    password: String,
}

#[post("/login")]
async fn login(form: Option<Form<Login>>) -> &'static str {
    if form.is_some() {
        "welcome"
    } else {
        "anonymous"
    }
}

fn app(ran: Ran) -> App {
    App::new()
        .state(ran)
        .routes(routes![create_user, list_items, login])
}

async fn start() -> (TestServer, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (TestServer::start(app(Ran(tx))).await, rx)
}

fn detail(body: &str) -> Value {
    serde_json::from_str::<Value>(body).expect("a JSON body")["detail"].clone()
}

#[tokio::test]
async fn a_body_that_breaks_rules_is_a_422_listing_every_failing_field() {
    let (server, _ran) = start().await;
    let body = r#"{"name": "al", "email": "al-at-example.com", "age": 200,
                   "addresses": [{"zip": "12345"}, {"zip": "123"}]}"#;
    let (status, headers, body) = Http1::connect(server.addr)
        .await
        .fetch(json_request("POST", "/users", body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        detail(&body),
        json!([
            {"type": "string_too_short", "loc": ["body", "addresses", 1, "zip"],
             "msg": "String should have at least 5 characters", "input": "123", "ctx": {"min_length": 5}},
            {"type": "less_than_equal", "loc": ["body", "age"],
             "msg": "Input should be less than or equal to 130", "input": 200, "ctx": {"le": 130}},
            {"type": "value_error", "loc": ["body", "email"],
             "msg": "value is not a valid email address: An email address must have an @-sign.",
             "input": "al-at-example.com", "ctx": {"reason": "An email address must have an @-sign."}},
            {"type": "string_too_short", "loc": ["body", "name"],
             "msg": "String should have at least 3 characters", "input": "al", "ctx": {"min_length": 3}},
        ])
    );
}

#[tokio::test]
async fn a_refused_body_never_reaches_the_handler_and_a_valid_one_does() {
    let (server, mut ran) = start().await;
    let mut client = Http1::connect(server.addr).await;
    let bad = r#"{"name": "bob", "email": "bob@example.com", "age": 36, "addresses": []}"#;
    let (status, _, body) = client.fetch(json_request("POST", "/users", bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        detail(&body),
        json!([{"type": "too_short", "loc": ["body", "addresses"],
                "msg": "List should have at least 1 item after validation, not 0", "input": [],
                "ctx": {"field_type": "List", "min_length": 1, "actual_length": 0}}])
    );
    let good = r#"{"name": "ada", "email": "ada@example.com", "age": 36, "addresses": [{"zip": "02139"}]}"#;
    let (status, _, body) = client.fetch(json_request("POST", "/users", good)).await;
    assert_eq!((status, body.as_str()), (StatusCode::CREATED, "ada"));
    // The first task a handler queued is the valid request's: the refused
    // one never ran its handler.
    let first = common::within("the handler's task", ran.recv()).await;
    assert_eq!(first.as_deref(), Some("ada"));
}

#[tokio::test]
async fn query_rules_are_reported_under_query() {
    let (server, _ran) = start().await;
    let mut client = Http1::connect(server.addr).await;
    let (status, _, body) = client
        .fetch(request("GET", "/items?limit=0&min_price=0"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        detail(&body),
        json!([
            {"type": "greater_than_equal", "loc": ["query", "limit"],
             "msg": "Input should be greater than or equal to 1", "input": 0, "ctx": {"ge": 1}},
            {"type": "greater_than", "loc": ["query", "min_price"],
             "msg": "Input should be greater than 0.0", "input": 0.0, "ctx": {"gt": 0.0}},
        ])
    );
    let (status, _, body) = client.fetch(request("GET", "/items?limit=100")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "up to 100"));
    // A value that does not parse is still the parser's `422`.
    let (status, _, body) = client.fetch(request("GET", "/items?limit=many")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&body)[0]["type"], "int_parsing");
}

#[tokio::test]
async fn an_optional_form_is_checked_when_present() {
    let (server, _ran) = start().await;
    let mut client = Http1::connect(server.addr).await;
    let form = |body: &'static str| {
        let mut request = request("POST", "/login");
        request.headers_mut().insert(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        *request.body_mut() = body.into();
        request
    };
    let (status, _, body) = client.fetch(form("password=short")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&body)[0]["loc"], json!(["body", "password"]));
    assert_eq!(detail(&body)[0]["type"], "string_too_short");
    let (status, _, body) = client.fetch(form("password=long-enough")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "welcome"));
}

#[tokio::test]
async fn the_document_carries_the_rules() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let document = app(Ran(tx)).openapi().unwrap();
    let schemas = &document["components"]["schemas"];
    let user = &schemas["NewUser"]["properties"];
    assert_eq!(user["name"]["minLength"], 3);
    assert_eq!(user["name"]["maxLength"], 20);
    assert_eq!(user["email"]["format"], "email");
    assert_eq!(user["age"]["minimum"], 13);
    assert_eq!(user["age"]["maximum"], 130);
    assert_eq!(user["addresses"]["minItems"], 1);
    let limit = document["paths"]["/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 100);
}
