//! The keys that describe a route in the OpenAPI document, on every kind of
//! route attribute, in any order around the path, reach its `RouteDoc`
//! with its doc comment.

use atode::{App, get, post, route, routes};

/// List the items.
///
/// Newest first.
#[get(
    "/items",
    tags = ["items", "admin"],
    deprecated,
    include_in_schema = false,
    status = 200,
    response_description = "The items"
)]
async fn list() -> &'static str {
    "[]"
}

/// Create an item.
#[post(
    status = 201,
    response_description = "Item created",
    "/items",
    body_limit = 1024,
    tags = ["items"],
    deprecated = false,
    include_in_schema = true,
    errors = [409, 400]
)]
async fn create(body: String) -> String {
    body
}

#[route(GET, deprecated, POST, "/echo", tags = ["echo"], status = 202u16, include_in_schema = false, response_description = "Echoed")]
async fn echo() -> &'static str {
    "echo"
}

// `#[deprecated]` on the handler marks the route deprecated too.
#[get("/old")]
#[deprecated]
async fn old() -> &'static str {
    "old"
}

#[get("/plain")]
async fn plain() -> &'static str {
    "plain"
}

fn main() {
    let doc = &routes![list][0].info().doc;
    assert_eq!(doc.summary, Some("List the items."));
    assert_eq!(doc.description, Some("Newest first."));
    assert_eq!(doc.tags, ["items", "admin"]);
    assert!(doc.deprecated);
    assert!(!doc.include_in_schema);
    assert_eq!(doc.status, Some(200));
    assert_eq!(doc.response_description, Some("The items"));

    let route = &routes![create][0];
    let doc = &route.info().doc;
    assert_eq!(doc.summary, Some("Create an item."));
    assert_eq!(doc.description, None);
    assert_eq!(doc.tags, ["items"]);
    assert!(!doc.deprecated);
    assert!(doc.include_in_schema);
    assert_eq!(doc.status, Some(201));
    assert_eq!(doc.response_description, Some("Item created"));
    assert_eq!(doc.errors, [409, 400]);
    assert_eq!(route.info().body_limit, Some(1024));

    let doc = &routes![echo][0].info().doc;
    assert_eq!((doc.summary, doc.description), (None, None));
    assert_eq!(doc.tags, ["echo"]);
    assert!(doc.deprecated);
    assert!(!doc.include_in_schema);
    assert_eq!(doc.status, Some(202));
    assert_eq!(doc.response_description, Some("Echoed"));

    let doc = &routes![old][0].info().doc;
    assert!(doc.deprecated);

    let doc = &routes![plain][0].info().doc;
    assert!(doc.tags.is_empty());
    assert!(!doc.deprecated);
    assert!(doc.include_in_schema);
    assert_eq!(doc.status, None);
    assert_eq!(doc.response_description, None);
    assert!(doc.errors.is_empty());

    let _ = App::new().routes(routes![list, create, echo, old, plain]);
}
