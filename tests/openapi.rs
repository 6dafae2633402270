//! The OpenAPI document and the `/docs` page, fetched over a real socket:
//! what the routes' attributes and types say, and that the page needs
//! nothing from outside the binary.

mod common;

use atode::openapi::{Operation, OperationInput};
use atode::response::Redirect;
use atode::{
    App, BackgroundTasks, Form, FromRequestParts, Json, Query, RequestParts, Response, State,
    StatusCode, TypedHeader, delete, get, post, route, routes,
};
use common::{Http1, TestServer, json_request, request};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Deserialize, Serialize, JsonSchema)]
struct Item {
    name: String,
    /// In cents.
    price: u32,
    /// Optional to send, always answered: the input and output schemas differ.
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Search {
    /// What to look for.
    q: String,
    limit: Option<u8>,
    #[serde(default)]
    offset: u32,
}

/// Create an item.
///
/// Stores it as sent.
/// Answers with it.
#[post("/items", tags = ["items"], status = 201, response_description = "The stored item")]
async fn create_item(tasks: BackgroundTasks, Json(item): Json<Item>) -> Json<Item> {
    drop(tasks);
    Json(item)
}

#[get("/items/<id>")]
async fn read_item(id: u32, Query(search): Query<Search>) -> Result<Json<Item>, StatusCode> {
    let _ = search;
    match id {
        0 => Err(StatusCode::NOT_FOUND),
        _ => Ok(Json(Item {
            name: "pen".into(),
            price: id,
            tags: Vec::new(),
        })),
    }
}

#[get("/files/<path..>", deprecated)]
async fn file(path: String) -> String {
    path
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Login {
    user: String,
}

#[route(GET, POST, "/login")]
async fn login(form: Option<Form<Login>>) -> Redirect {
    let _ = form;
    Redirect::to("/")
}

#[delete("/items/<id>", include_in_schema = false)]
async fn hidden(id: u32) -> StatusCode {
    let _ = id;
    StatusCode::NO_CONTENT
}

#[get("/me")]
async fn me(
    TypedHeader(atode::extract::BearerToken(token)): TypedHeader<atode::extract::BearerToken>,
) -> String {
    token
}

fn app() -> App {
    App::new()
        .title("Shop")
        .version("2.0.0")
        .tag("items", "Everything for sale")
        .routes(routes![create_item, read_item, file, login, hidden, me])
}

async fn fetch(server: &TestServer, path: &str) -> (StatusCode, http::HeaderMap, String) {
    Http1::connect(server.addr)
        .await
        .fetch(request("GET", path))
        .await
}

async fn document(server: &TestServer) -> Value {
    let (status, headers, body) = fetch(server, "/openapi.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    serde_json::from_str(&body).expect("the document is JSON")
}

#[tokio::test]
async fn the_document_describes_each_route_from_its_attribute_doc_comment_and_types() {
    let server = TestServer::start(app()).await;
    let doc = document(&server).await;

    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"], json!({ "title": "Shop", "version": "2.0.0" }));
    assert_eq!(
        doc["tags"],
        json!([{ "name": "items", "description": "Everything for sale" }])
    );

    let create = &doc["paths"]["/items"]["post"];
    assert_eq!(create["operationId"], "create_item");
    assert_eq!(create["summary"], "Create an item.");
    assert_eq!(
        create["description"],
        "Stores it as sent.\nAnswers with it."
    );
    assert_eq!(create["tags"], json!(["items"]));
    assert_eq!(
        create["requestBody"],
        json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Item-Input" } } },
        })
    );
    let responses = &create["responses"];
    assert_eq!(responses["201"]["description"], "The stored item");
    assert_eq!(
        responses["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Item-Output"
    );
    let statuses: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["201", "413", "415", "422", "503"]);
    assert_eq!(
        responses["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPValidationError"
    );
    assert_eq!(
        responses["503"]["headers"]["Retry-After"]["schema"]["type"],
        "integer"
    );

    let read = &doc["paths"]["/items/{id}"]["get"];
    assert_eq!(read["summary"], "Read Item");
    assert!(read.get("description").is_none());
    assert_eq!(
        read["parameters"],
        json!([
            { "name": "id", "in": "path", "required": true,
              "schema": { "type": "integer", "format": "uint32", "minimum": 0, "maximum": 4294967295u32 } },
            { "name": "limit", "in": "query", "required": false,
              "schema": { "type": ["integer", "null"], "format": "uint8", "minimum": 0, "maximum": 255 } },
            { "name": "offset", "in": "query", "required": false,
              "schema": { "type": "integer", "format": "uint32", "minimum": 0, "maximum": 4294967295u32, "default": 0 } },
            { "name": "q", "in": "query", "required": true, "schema": { "type": "string" },
              "description": "What to look for." },
        ])
    );
    // `Result<Json<Item>, StatusCode>`: the item, or a status of its own.
    let statuses: Vec<&String> = read["responses"].as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["200", "422", "default"]);

    let file = &doc["paths"]["/files/{path}"]["get"];
    assert_eq!(file["deprecated"], true);
    assert_eq!(
        file["parameters"][0]["schema"],
        json!({ "type": "string", "minLength": 1 })
    );
    assert_eq!(
        file["responses"]["200"]["content"],
        json!({ "text/plain; charset=utf-8": { "schema": { "type": "string" } } })
    );

    // One operation per method, and an optional form adds no rejection.
    let login = &doc["paths"]["/login"];
    assert_eq!(login["get"]["operationId"], "login_get");
    assert_eq!(login["post"]["operationId"], "login_post");
    assert_eq!(login["post"]["requestBody"]["required"], false);
    let statuses: Vec<&String> = login["post"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(statuses, ["3XX"]);
    assert_eq!(
        login["post"]["responses"]["3XX"]["headers"]["Location"]["schema"]["type"],
        "string"
    );

    // `include_in_schema = false`: served, not documented.
    assert!(doc["paths"]["/items/{id}"].get("delete").is_none());
    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("DELETE", "/items/3"))
        .await;
    assert_eq!(status, 204);

    let me = &doc["paths"]["/me"]["get"];
    assert_eq!(me["security"], json!([{ "HTTPBearer": [] }]));
    assert_eq!(
        doc["components"]["securitySchemes"]["HTTPBearer"],
        json!({ "type": "http", "scheme": "bearer" })
    );

    // Neither the document nor the page documents itself.
    assert!(doc["paths"].get("/openapi.json").is_none());
    assert!(doc["paths"].get("/docs").is_none());
}

#[tokio::test]
async fn schemas_split_into_input_and_output_only_where_serde_makes_them_differ() {
    let server = TestServer::start(app()).await;
    let schemas = &document(&server).await["components"]["schemas"];
    let names: Vec<&String> = schemas.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "HTTPError",
            "HTTPValidationError",
            "Item-Input",
            "Item-Output",
            "Login",
            "ValidationError"
        ]
    );
    assert_eq!(schemas["Item-Input"]["required"], json!(["name", "price"]));
    assert_eq!(
        schemas["Item-Output"]["required"],
        json!(["name", "price", "tags"])
    );
    assert_eq!(
        schemas["Item-Output"]["properties"]["price"]["description"],
        "In cents."
    );
}

/// The `422` the document promises is the one atode answers: every field
/// the schema requires is in the body, and nothing it does not name.
#[tokio::test]
async fn the_documented_validation_error_is_the_shape_atode_answers() {
    let server = TestServer::start(app()).await;
    let doc = document(&server).await;
    let item = &doc["components"]["schemas"]["ValidationError"];
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(json_request("POST", "/items", r#"{"price": "free"}"#))
        .await;
    assert_eq!(status, 422);
    let body: Value = serde_json::from_str(&body).unwrap();
    let details = body["detail"].as_array().expect("detail is a list");
    assert!(!details.is_empty());
    let documented: Vec<&String> = item["properties"].as_object().unwrap().keys().collect();
    for detail in details {
        let fields = detail.as_object().unwrap();
        for required in item["required"].as_array().unwrap() {
            assert!(
                fields.contains_key(required.as_str().unwrap()),
                "{detail} lacks {required}"
            );
        }
        for field in fields.keys() {
            assert!(
                documented.contains(&field),
                "{detail}: `{field}` is not documented"
            );
        }
        assert!(
            detail["loc"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l.is_string() || l.is_i64())
        );
    }
}

#[tokio::test]
async fn status_sets_the_success_status_and_leaves_errors_alone() {
    let server = TestServer::start(app()).await;
    let mut client = Http1::connect(server.addr).await;
    let (status, _, _) = client
        .fetch(json_request(
            "POST",
            "/items",
            r#"{"name": "pen", "price": 1}"#,
        ))
        .await;
    assert_eq!(status, 201);
    let (status, _, _) = client.fetch(json_request("POST", "/items", "{}")).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn docs_is_swagger_ui_served_entirely_from_the_binary() {
    let server = TestServer::start(app()).await;
    let (status, headers, html) = fetch(&server, "/docs").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[http::header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert!(html.contains("<title>Shop - Swagger UI</title>"), "{html}");
    assert!(html.contains("\"/openapi.json\""), "{html}");

    // Every file the page loads is one of ours, and is there.
    let mut loaded = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (start, _) in html.match_indices(attribute) {
            let rest = &html[start + attribute.len()..];
            loaded.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    assert_eq!(loaded.len(), 6, "{loaded:?}");
    for url in &loaded {
        assert!(
            url.starts_with("/docs/"),
            "the page loads {url} from elsewhere"
        );
        let response = Http1::connect(server.addr)
            .await
            .send(request("GET", url))
            .await;
        assert_eq!(response.status(), 200, "{url}");
        let content_type = response.headers()[http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert!(!body.is_empty(), "{url}");
        let expected = match url.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            _ => "image/png",
        };
        assert_eq!(content_type, expected, "{url}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );

    let (status, _, _) = fetch(&server, "/docs/nothing.js").await;
    assert_eq!(status, 404);
    let (status, headers, _) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", "/openapi.json"))
        .await;
    assert_eq!(status, 405);
    assert_eq!(headers[http::header::ALLOW], "GET, HEAD");
}

#[get("/<page>")]
async fn any_page(page: String) -> String {
    format!("page {page}")
}

#[get("/<section>/<file>")]
async fn any_file(section: String, file: String) -> String {
    format!("file {section}/{file}")
}

#[tokio::test]
async fn the_document_and_its_page_come_before_routes_whose_parameters_match_their_paths() {
    let server = TestServer::start(App::new().routes(routes![any_page, any_file])).await;
    let document = document(&server).await;
    assert!(document["paths"]["/{page}"].is_object(), "{document}");
    let (status, headers, html) = fetch(&server, "/docs").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[http::header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert!(html.contains("Swagger UI"), "{html}");
    let (status, headers, _) = fetch(&server, "/docs/swagger-ui.css").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[http::header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    // Everything else is the routes'.
    assert_eq!(fetch(&server, "/about").await.2, "page about");
    assert_eq!(fetch(&server, "/docs2").await.2, "page docs2");
    assert_eq!(fetch(&server, "/blog/first").await.2, "file blog/first");
}

#[tokio::test]
async fn the_urls_move_or_go() {
    let server = TestServer::start(
        app()
            .openapi_url(Some("/api/openapi.json"))
            .docs_url(Some("/api/docs")),
    )
    .await;
    assert_eq!(fetch(&server, "/openapi.json").await.0, 404);
    assert_eq!(fetch(&server, "/docs").await.0, 404);
    assert_eq!(fetch(&server, "/api/openapi.json").await.0, 200);
    let (status, _, html) = fetch(&server, "/api/docs").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("\"/api/openapi.json\"") && html.contains("/api/docs/swagger-ui-bundle.js")
    );

    let server = TestServer::start(app().docs_url(None)).await;
    assert_eq!(fetch(&server, "/docs").await.0, 404);
    assert_eq!(fetch(&server, "/openapi.json").await.0, 200);

    let server = TestServer::start(app().openapi_url(None)).await;
    assert_eq!(fetch(&server, "/docs").await.0, 404);
    assert_eq!(fetch(&server, "/openapi.json").await.0, 404);
}

mod users {
    #[atode::get("/users")]
    pub async fn list() -> &'static str {
        "[]"
    }
}

mod orders {
    #[atode::get("/orders")]
    pub async fn list() -> &'static str {
        "[]"
    }
}

#[get("/docs")]
async fn my_docs() -> &'static str {
    "mine"
}

#[test]
fn what_stops_the_document_is_a_startup_error_naming_the_routes() {
    let error = App::new()
        .routes(routes![users::list, orders::list])
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`list` (GET /orders) and `list` (GET /users) have one operationId, `list`"),
        "{error}"
    );

    let error = App::new()
        .routes(routes![my_docs])
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`my_docs` answers /docs, where the app serves its API documentation"),
        "{error}"
    );
    // Without the page, the route is the app's own.
    assert!(
        App::new()
            .routes(routes![my_docs])
            .docs_url(None)
            .check()
            .is_ok()
    );

    let error = App::new()
        .docs_url(Some("docs"))
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`App::docs_url` is `docs`, which is not a path"),
        "{error}"
    );
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Undocumented {
    name: String,
}

struct Custom;

impl FromRequestParts for Custom {
    type Rejection = StatusCode;

    async fn from_request_parts(_: &mut RequestParts) -> Result<Self, StatusCode> {
        Ok(Custom)
    }
}

#[post("/undocumented")]
async fn undocumented(_custom: Custom, Json(body): Json<Undocumented>) -> Response {
    let _ = body;
    Response::new(atode::Body::empty())
}

#[get("/opaque")]
async fn opaque() -> impl atode::IntoResponse {
    "text"
}

#[derive(Clone)]
struct Db;

#[get("/documented")]
async fn documented(State(_db): State<Db>, tasks: BackgroundTasks) -> Json<u32> {
    drop(tasks);
    Json(1)
}

#[test]
fn gaps_name_every_route_part_the_types_do_not_describe_and_nothing_else() {
    let app = App::new()
        .state(Db)
        .routes(routes![undocumented, opaque, documented]);
    let gaps = app.openapi_gaps();
    assert_eq!(gaps.len(), 4, "{gaps:#?}");
    // In the order of the routes' paths.
    let expected = [
        "`opaque` (GET /opaque): return type `impl atode::IntoResponse` is not described",
        "`undocumented` (POST /undocumented): parameter `_custom: Custom` is not described",
        "`undocumented` (POST /undocumented): parameter `Json(body): Json<Undocumented>` is not described",
        "`undocumented` (POST /undocumented): return type `Response` is not described",
    ];
    for (gap, expected) in gaps.iter().zip(expected) {
        assert!(
            gap.starts_with(expected),
            "{gap:?} does not start with {expected:?}"
        );
    }
    // The route is still in the document, with what could be said.
    let doc = app.openapi().unwrap();
    assert!(doc["paths"]["/undocumented"]["post"]["responses"]["default"].is_object());
    assert!(
        App::new()
            .state(Db)
            .routes(routes![documented])
            .openapi_gaps()
            .is_empty()
    );
}

/// An extractor of the user's own adds its scheme and its `401`.
struct ApiKey;

impl FromRequestParts for ApiKey {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, StatusCode> {
        parts
            .headers()
            .get("x-api-key")
            .map(|_| ApiKey)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

impl OperationInput for ApiKey {
    fn operation_input(op: &mut Operation<'_>) {
        op.security(
            "apiKey",
            json!({ "type": "apiKey", "in": "header", "name": "x-api-key" }),
        );
        op.response(401, "Not authenticated");
    }
}

#[get("/secret")]
async fn secret(_key: ApiKey) -> &'static str {
    "s3cret"
}

#[tokio::test]
async fn a_users_extractor_documents_its_security_scheme() {
    let server = TestServer::start(App::new().routes(routes![secret])).await;
    let doc = document(&server).await;
    let operation = &doc["paths"]["/secret"]["get"];
    assert_eq!(operation["security"], json!([{ "apiKey": [] }]));
    assert_eq!(
        operation["responses"]["401"]["description"],
        "Not authenticated"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["apiKey"]["name"],
        "x-api-key"
    );
    // And the server agrees with it.
    assert_eq!(fetch(&server, "/secret").await.0, 401);
}

/// A generic type's schema is named for its arguments when it says how,
/// and the document is the same however the routes are ordered.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Page_for_{T}")]
struct Page<T> {
    items: Vec<T>,
    total: u32,
}

#[get("/pages/items")]
async fn item_page() -> Json<Page<Item>> {
    Json(Page {
        items: Vec::new(),
        total: 0,
    })
}

#[get("/pages/numbers")]
async fn number_page() -> Json<Page<u32>> {
    Json(Page {
        items: Vec::new(),
        total: 0,
    })
}

/// Without a `rename`, schemars names the second instance `List2`: a gap.
#[derive(Serialize, JsonSchema)]
struct List<T>(Vec<T>);

#[get("/lists/items")]
async fn item_list() -> Json<List<Item>> {
    Json(List(Vec::new()))
}

#[get("/lists/numbers")]
async fn number_list() -> Json<List<u32>> {
    Json(List(Vec::new()))
}

#[test]
fn generic_types_have_stable_names() {
    let one = App::new().routes(routes![item_page, number_page]);
    let other = App::new()
        .routes(routes![number_page])
        .routes(routes![item_page]);
    let schemas = |app: &App| app.openapi().unwrap()["components"]["schemas"].clone();
    let names: Vec<String> = schemas(&one).as_object().unwrap().keys().cloned().collect();
    assert_eq!(names, ["Item", "Page_for_Item", "Page_for_uint32"]);
    assert_eq!(schemas(&one), schemas(&other));
    assert!(one.openapi_gaps().is_empty());

    let lists = App::new().routes(routes![number_list, item_list]);
    let gaps = lists.openapi_gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(
        gaps[0].starts_with("two types have the schema name `List` (`List2` is the second)"),
        "{gaps:?}"
    );
}

/// A request for `path` with `headers`, on a connection of its own.
async fn fetch_with(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(http::header::HeaderName, &str)],
) -> (StatusCode, http::HeaderMap, String) {
    let mut request = request(method, path);
    for (name, value) in headers {
        request
            .headers_mut()
            .append(name.clone(), value.parse().expect("a header value"));
    }
    Http1::connect(server.addr).await.fetch(request).await
}

/// The document and the page's files are revalidated rather than fetched
/// again (the bundle is 1.4 MB): each has a strong `ETag`, with
/// `Cache-Control: no-cache` so that a cache asks before reusing it, and a
/// matching `If-None-Match` gets a `304` with no body.
#[tokio::test]
async fn the_document_and_the_page_have_etags_and_a_matching_if_none_match_is_a_304() {
    use http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};

    let server = TestServer::start(app()).await;
    let mut etags = Vec::new();
    for path in [
        "/openapi.json",
        "/docs",
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
    ] {
        let (status, headers, _) = fetch_with(&server, "GET", path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(headers[CACHE_CONTROL], "no-cache", "{path}");
        let etag = headers[ETAG].to_str().unwrap().to_owned();
        assert!(
            etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
            "{path}: a strong entity tag, not {etag}"
        );
        let weak = format!("W/{etag}");
        let listed = format!("\"other\", {etag}");
        for (method, if_none_match) in [
            ("GET", etag.as_str()),
            ("HEAD", etag.as_str()),
            // If-None-Match compares weakly (RFC 9110 13.1.2).
            ("GET", weak.as_str()),
            ("GET", listed.as_str()),
            ("GET", "*"),
        ] {
            let (status, headers, body) =
                fetch_with(&server, method, path, &[(IF_NONE_MATCH, if_none_match)]).await;
            assert_eq!(
                (status.as_u16(), body.as_str()),
                (304, ""),
                "{method} {path} with If-None-Match: {if_none_match}"
            );
            // A 304 repeats the validator and the caching rules of its 200.
            assert_eq!(headers[ETAG], etag.as_str(), "{path}");
            assert_eq!(headers[CACHE_CONTROL], "no-cache", "{path}");
        }
        // The tag in a field of its own, after one that does not match.
        let (status, _, _) = fetch_with(
            &server,
            "GET",
            path,
            &[(IF_NONE_MATCH, "\"other\""), (IF_NONE_MATCH, &etag)],
        )
        .await;
        assert_eq!(status, 304, "{path}");
        // Any other tag, or the tag not quoted, is the whole representation.
        let unquoted = etag.trim_matches('"').to_owned();
        for if_none_match in ["\"other\"", "W/\"other\"", unquoted.as_str()] {
            let (status, headers, body) =
                fetch_with(&server, "GET", path, &[(IF_NONE_MATCH, if_none_match)]).await;
            assert_eq!(status, 200, "{path} with If-None-Match: {if_none_match}");
            assert!(!body.is_empty(), "{path}");
            assert_eq!(headers[ETAG], etag.as_str(), "{path}");
        }
        etags.push(etag);
    }
    let mut distinct = etags.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), etags.len(), "one tag per file: {etags:?}");

    // Another process serving the same app (a restart, a second replica)
    // gives the same tags, so a browser's copy stays valid across them; a
    // different document gets a different tag.
    let again = TestServer::start(app()).await;
    let (_, headers, _) = fetch_with(&again, "GET", "/openapi.json", &[]).await;
    assert_eq!(headers[ETAG], etags[0].as_str());
    let (_, headers, _) = fetch_with(&again, "GET", "/docs/swagger-ui-bundle.js", &[]).await;
    assert_eq!(headers[ETAG], etags[3].as_str());
    let other = TestServer::start(app().title("Another shop")).await;
    let (status, headers, _) = fetch_with(
        &other,
        "GET",
        "/openapi.json",
        &[(IF_NONE_MATCH, &etags[0])],
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(headers[ETAG], etags[0].as_str());
}

/// A precondition does not turn a request the site refuses into a `304`
/// (RFC 9110 13.2.1): a `POST` is still `405`.
#[tokio::test]
async fn if_none_match_does_not_hide_the_documents_405() {
    let server = TestServer::start(app()).await;
    let (status, headers, _) = fetch_with(
        &server,
        "POST",
        "/openapi.json",
        &[(http::header::IF_NONE_MATCH, "*")],
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(headers[http::header::ALLOW], "GET, HEAD");
}

/// Read a shelf.
#[get("/shelves/<id>", errors = [404, 410])]
async fn read_shelf(id: u32) -> Result<Json<u32>, atode::HttpError> {
    match id {
        0 => Err(atode::HttpError::new(StatusCode::GONE, "Shelf removed")),
        1 => Ok(Json(id)),
        _ => Err(atode::HttpError::not_found("No such shelf")),
    }
}

#[get("/shelves")]
async fn list_shelves() -> Result<Json<Vec<u32>>, atode::HttpError> {
    Ok(Json(vec![1]))
}

/// `errors` with nothing that raises them.
#[get("/racks", errors = [404])]
async fn list_racks() -> Json<Vec<u32>> {
    Json(vec![])
}

/// `errors = [...]`: each status listed with `HttpError`'s body and its
/// reason, in place of `default`; without the key, `default` as before;
/// declared with no `HttpError` to answer them, a gap.
#[test]
fn declared_errors_are_documented_with_their_reasons() {
    let app = App::new().routes(routes![read_shelf, list_shelves, list_racks]);
    let doc = app.openapi().expect("a document");
    let responses = &doc["paths"]["/shelves/{id}"]["get"]["responses"];
    let statuses: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["200", "404", "410", "422"]);
    let error = json!({
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/HTTPException" } } },
        "description": "Not Found",
    });
    assert_eq!(responses["404"], error);
    assert_eq!(responses["410"]["description"], "Gone");

    let listed = &doc["paths"]["/shelves"]["get"]["responses"];
    let statuses: Vec<&String> = listed.as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["200", "default"]);

    assert_eq!(
        app.openapi_gaps(),
        [
            "`list_racks` (GET /racks): `errors = [404]` is not documented: the handler's return type has no `HttpError` to answer with them"
        ]
    );
}
