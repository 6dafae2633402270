//! `HttpError` and the authentication extractors, over a real socket: the
//! exact status, headers and body a client gets, what happens to the
//! request's background tasks, and what the OpenAPI document says of them.

mod common;

use atode::extract::{BasicAuth, BearerToken};
use atode::{
    App, BackgroundTasks, HttpError, Json, Query, State, StatusCode, delete, get, post, routes,
};
use common::{Http1, TestServer, within};
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[get("/items/<id>")]
async fn read_item(id: u32) -> Result<Json<u32>, HttpError> {
    let found = (id < 10).then_some(id);
    let id = found.ok_or_else(|| HttpError::not_found("Item not found"))?;
    if id == 0 {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            json!({ "field": "id", "reason": "zero is reserved" }),
        )
        .header(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("5"),
        ));
    }
    if id == 9 {
        return Err(StatusCode::GONE.into());
    }
    Ok(Json(id))
}

async fn get(
    server: &TestServer,
    path: &str,
    auth: Option<&str>,
) -> (StatusCode, http::HeaderMap, String) {
    let mut request = common::request("GET", path);
    if let Some(auth) = auth {
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, auth.parse().unwrap());
    }
    Http1::connect(server.addr).await.fetch(request).await
}

#[tokio::test]
async fn an_http_error_is_its_status_its_detail_and_its_headers() {
    let server = TestServer::start(App::new().routes(routes![read_item])).await;

    let (status, headers, body) = get(&server, "/items/12", None).await;
    assert_eq!(status, 404);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(body, r#"{"detail":"Item not found"}"#);

    let (status, headers, body) = get(&server, "/items/0", None).await;
    assert_eq!(status, 409);
    assert_eq!(headers[http::header::RETRY_AFTER], "5");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({ "detail": { "field": "id", "reason": "zero is reserved" } })
    );

    let (status, _, body) = get(&server, "/items/9", None).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (410, r#"{"detail":"Gone"}"#)
    );

    let (status, _, body) = get(&server, "/items/3", None).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "3"));
}

#[derive(Clone)]
struct Events(mpsc::UnboundedSender<String>);

fn note(events: Events, line: String) {
    let _ = events.0.send(line);
}

#[post("/promote/<user>")]
async fn promote(
    user: String,
    State(events): State<Events>,
    tasks: BackgroundTasks,
) -> Result<&'static str, HttpError> {
    tasks.add_task(note, (events.clone(), format!("welcome {user}")));
    if user != "ada" {
        let audit = BackgroundTasks::new();
        audit.add_task(note, (events, format!("refused {user}")));
        return Err(HttpError::forbidden("Not an admin").with_tasks(audit));
    }
    Ok("promoted")
}

/// The success path's tasks are discarded with the error; the error's own
/// run after its response.
#[tokio::test]
async fn an_errors_own_tasks_run_and_the_requests_are_discarded() {
    let (sender, mut events) = mpsc::unbounded_channel();
    let app = App::new().state(Events(sender)).routes(routes![promote]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = Http1::connect(server.addr).await;

    let (status, _, body) = client.fetch(common::request("POST", "/promote/bob")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (403, r#"{"detail":"Not an admin"}"#)
    );
    assert_eq!(
        within("the audit task", events.recv()).await.as_deref(),
        Some("refused bob")
    );
    // Discarded as the handler returned, before its response was written.
    assert_eq!(monitor.stats().discarded, 1);

    let (status, _, _) = client.fetch(common::request("POST", "/promote/ada")).await;
    assert_eq!(status, 200);
    // The next event is the successful request's: bob's welcome never ran.
    assert_eq!(
        within("the welcome task", events.recv()).await.as_deref(),
        Some("welcome ada")
    );
    assert_eq!(monitor.stats().discarded, 1);
}

#[get("/me")]
async fn me(BearerToken(token): BearerToken) -> String {
    token
}

#[get("/maybe")]
async fn maybe(token: Option<BearerToken>) -> String {
    token.map_or_else(|| "anonymous".to_owned(), |BearerToken(token)| token)
}

#[get("/admin")]
async fn admin(auth: BasicAuth) -> String {
    format!("{}/{}", auth.username, auth.password)
}

fn auth_app() -> App {
    App::new().routes(routes![me, maybe, admin])
}

#[tokio::test]
async fn bearer_and_basic_credentials_are_a_401_with_the_challenge_when_missing_or_malformed() {
    let server = TestServer::start(auth_app()).await;

    for auth in [
        None,
        Some("Basic YWRhOmxvdmVsYWNl"),
        Some("Bearer "),
        Some("Bearer"),
    ] {
        let (status, headers, body) = get(&server, "/me", auth).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(
            headers[http::header::WWW_AUTHENTICATE],
            "Bearer",
            "{auth:?}"
        );
        assert_eq!(body, r#"{"detail":"Not authenticated"}"#, "{auth:?}");
    }
    let (status, _, body) = get(&server, "/me", Some("bearer abc.def")).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "abc.def"));

    assert_eq!(get(&server, "/maybe", None).await.2, "anonymous");
    assert_eq!(get(&server, "/maybe", Some("Bearer t0k")).await.2, "t0k");

    // "ada:love:lace", then no colon, not base64, another scheme.
    let (status, _, body) = get(&server, "/admin", Some("Basic YWRhOmxvdmU6bGFjZQ==")).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "ada/love:lace"));
    for auth in [
        None,
        Some("Basic YWRh"),
        Some("Basic !!!"),
        Some("Bearer YWRhOmxvdmU6bGFjZQ=="),
    ] {
        let (status, headers, body) = get(&server, "/admin", auth).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(headers[http::header::WWW_AUTHENTICATE], "Basic", "{auth:?}");
        assert_eq!(body, r#"{"detail":"Not authenticated"}"#, "{auth:?}");
    }
}

#[test]
fn the_document_says_which_scheme_each_route_needs_and_what_errors_look_like() {
    let doc = auth_app().routes(routes![read_item]).openapi().unwrap();
    let me = &doc["paths"]["/me"]["get"];
    assert_eq!(me["security"], json!([{ "HTTPBearer": [] }]));
    assert_eq!(
        me["responses"]["401"]["headers"]["WWW-Authenticate"]["schema"],
        json!({ "type": "string", "const": "Bearer" })
    );
    // Optional: callable without it, and never answered 401 for it.
    let maybe = &doc["paths"]["/maybe"]["get"];
    assert_eq!(maybe["security"], json!([{ "HTTPBearer": [] }, {}]));
    assert!(maybe["responses"].get("401").is_none());
    let admin = &doc["paths"]["/admin"]["get"];
    assert_eq!(admin["security"], json!([{ "HTTPBasic": [] }]));
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({
            "HTTPBasic": { "type": "http", "scheme": "basic" },
            "HTTPBearer": { "type": "http", "scheme": "bearer" },
        })
    );
    let read = &doc["paths"]["/items/{id}"]["get"]["responses"];
    assert_eq!(
        read["default"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPException"
    );
}

#[delete("/subscribers/<id>")]
async fn unsubscribe(id: u64, _token: BearerToken) -> String {
    format!("{id} unsubscribed")
}

#[derive(serde::Deserialize)]
struct Page {
    #[allow(dead_code)]
    page: u32,
}

#[derive(serde::Deserialize)]
struct Note {
    #[allow(dead_code)]
    text: String,
}

/// The query first in the signature, the credentials after it: the order
/// of the checks is atode's, not the signature's.
#[post("/subscribers/<id>/notes")]
async fn add_note(
    Query(_page): Query<Page>,
    id: u64,
    _auth: BasicAuth,
    Json(_note): Json<Note>,
) -> String {
    format!("noted for {id}")
}

#[tokio::test]
async fn a_missing_token_is_a_401_before_a_bad_path_parameter_is_a_422() {
    let server = TestServer::start(App::new().routes(routes![unsubscribe, add_note])).await;
    let send = |method: &str, path: &str, auth: Option<&str>, body: Option<&str>| {
        let mut request = match body {
            Some(json) => common::json_request(method, path, json),
            None => common::request(method, path),
        };
        if let Some(auth) = auth {
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, auth.parse().unwrap());
        }
        let addr = server.addr;
        async move { Http1::connect(addr).await.fetch(request).await }
    };

    let (status, headers, body) = send("DELETE", "/subscribers/abc", None, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(headers[http::header::WWW_AUTHENTICATE], "Bearer");
    let (status, _, body) = send("DELETE", "/subscribers/abc", Some("Bearer t0k"), None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["detail"][0]["loc"],
        json!(["path", "id"])
    );
    let (status, _, body) = send("DELETE", "/subscribers/7", Some("Bearer t0k"), None).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "7 unsubscribed"));

    // Everything wrong: the credentials answer, then the path, the query,
    // and the body, whatever order the signature has.
    let ada = Some("Basic YWRhOmxvdmVsYWNl");
    let loc = |(status, _, body): (StatusCode, http::HeaderMap, String)| {
        let detail =
            serde_json::from_str::<Value>(&body).map(|body| body["detail"][0]["loc"].clone());
        (status.as_u16(), detail.unwrap_or(Value::Null))
    };
    let bad_body = Some(r#"{"text": 1}"#);
    let (status, headers, _) = send("POST", "/subscribers/x/notes?page=y", None, bad_body).await;
    assert_eq!(
        (status.as_u16(), &headers[http::header::WWW_AUTHENTICATE]),
        (401, &"Basic".parse::<http::HeaderValue>().unwrap())
    );
    let answer = send("POST", "/subscribers/x/notes?page=y", ada, bad_body).await;
    assert_eq!(loc(answer), (422, json!(["path", "id"])));
    let answer = send("POST", "/subscribers/7/notes?page=y", ada, bad_body).await;
    assert_eq!(loc(answer), (422, json!(["query", "page"])));
    let answer = send("POST", "/subscribers/7/notes?page=1", ada, bad_body).await;
    assert_eq!(loc(answer), (422, json!(["body", "text"])));
    let (status, _, body) = send(
        "POST",
        "/subscribers/7/notes?page=1",
        ada,
        Some(r#"{"text": "hi"}"#),
    )
    .await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "noted for 7"));
}
