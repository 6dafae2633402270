//! An API whose documentation is its routes: tags, doc comments, a typed
//! body, a query struct, a custom status and an API-key extractor that
//! documents its security scheme. Nothing is declared twice.
//!
//! ```sh
//! cargo run --example openapi &
//! curl http://127.0.0.1:8000/openapi.json   # and http://127.0.0.1:8000/docs in a browser
//! # 200 {"components":{…}
//! curl -i -X POST http://127.0.0.1:8000/items -H 'x-api-key: secret' \
//!      -H 'content-type: application/json' -d '{"name": "pen", "price": 120}'
//! # 201
//! # location: /items/1
//! #
//! # {"id":1,"name":"pen","price":120,"tags":[]}
//! curl -X DELETE http://127.0.0.1:8000/items/1
//! # 401 {"detail":"Not authenticated: send the header `x-api-key`"}
//! curl -L http://127.0.0.1:8000/v0/items   # deprecated: a redirect to /items
//! # 200 [{"id":1,"name":"pen","price":120,"tags":[]}]
//! curl http://127.0.0.1:8000/items/2
//! # 404 {"detail":"Item not found"}
//! ```

use std::sync::{Arc, Mutex};

use atode::http::header;
use atode::openapi::{Operation, OperationInput, OperationOutput};
use atode::response::Redirect;
use atode::{
    App, BackgroundTasks, FromRequestParts, IntoResponse, Json, Query, RequestParts, Response,
    State, StatusCode, delete, get, post, routes,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An item for sale.
#[derive(Clone, Serialize, JsonSchema)]
struct Item {
    id: u32,
    name: String,
    /// The price in cents.
    price: u32,
    tags: Vec<String>,
}

/// What a client sends to create an item.
#[derive(Deserialize, JsonSchema)]
struct NewItem {
    /// What the item is called.
    name: String,
    /// The price in cents.
    price: u32,
    /// Free-form labels; none by default.
    #[serde(default)]
    tags: Vec<String>,
}

/// Which items to list.
#[derive(Deserialize, JsonSchema)]
struct Page {
    /// How many items to skip.
    #[serde(default)]
    offset: usize,
    /// At most this many items (default 10).
    limit: Option<usize>,
}

/// The body of every error this API answers itself.
#[derive(Serialize, JsonSchema)]
struct Detail {
    detail: String,
}

#[derive(Clone, Default)]
struct Store(Arc<Mutex<Vec<Item>>>);

/// The caller, known by the `x-api-key` header. Any route that takes it
/// answers `401` without the right key, and says so in the document.
struct ApiKey;

const API_KEY: &str = "secret";

impl FromRequestParts for ApiKey {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Response> {
        match parts.headers().get("x-api-key") {
            Some(key) if key == API_KEY => Ok(ApiKey),
            _ => {
                let detail = Detail {
                    detail: "Not authenticated: send the header `x-api-key`".to_owned(),
                };
                Err((StatusCode::UNAUTHORIZED, Json(detail)).into_response())
            }
        }
    }
}

impl OperationInput for ApiKey {
    fn operation_input(op: &mut Operation<'_>) {
        op.security(
            "APIKeyHeader",
            serde_json::json!({ "type": "apiKey", "in": "header", "name": "x-api-key" }),
        );
        let detail = op.output_schema::<Detail>();
        op.response(401, "Not authenticated").json(detail);
    }
}

/// No item has the id asked for.
struct NotFound;

impl IntoResponse for NotFound {
    fn into_response(self) -> Response {
        let detail = Detail {
            detail: "Item not found".to_owned(),
        };
        (StatusCode::NOT_FOUND, Json(detail)).into_response()
    }
}

impl OperationOutput for NotFound {
    fn operation_output(op: &mut Operation<'_>) {
        let detail = op.output_schema::<Detail>();
        op.response(404, "No item has this id").json(detail);
    }
}

/// List items.
///
/// Oldest first, a page at a time.
#[get("/items", tags = ["items"])]
async fn list_items(State(store): State<Store>, Query(page): Query<Page>) -> Json<Vec<Item>> {
    let items = store.0.lock().unwrap_or_else(|e| e.into_inner());
    let limit = page.limit.unwrap_or(10);
    Json(
        items
            .iter()
            .skip(page.offset)
            .take(limit)
            .cloned()
            .collect(),
    )
}

/// Read an item.
#[get("/items/<id>", tags = ["items"])]
async fn read_item(id: u32, State(store): State<Store>) -> Result<Json<Item>, NotFound> {
    let items = store.0.lock().unwrap_or_else(|e| e.into_inner());
    items
        .iter()
        .find(|item| item.id == id)
        .cloned()
        .map(Json)
        .ok_or(NotFound)
}

fn audit(action: &'static str, id: u32) {
    tracing::info!(action, id, "audit");
}

/// Create an item.
///
/// Needs the API key. The item gets the next free id, and `Location` its
/// URL; the creation is written to the audit log after the response.
#[post(
    "/items",
    tags = ["items"],
    status = 201,
    response_description = "The item, with its id"
)]
async fn create_item(
    _caller: ApiKey,
    State(store): State<Store>,
    tasks: BackgroundTasks,
    Json(new): Json<NewItem>,
) -> ([(header::HeaderName, String); 1], Json<Item>) {
    let mut items = store.0.lock().unwrap_or_else(|e| e.into_inner());
    let id = items.last().map_or(1, |item| item.id + 1);
    let item = Item {
        id,
        name: new.name,
        price: new.price,
        tags: new.tags,
    };
    items.push(item.clone());
    tasks.add_task(audit, ("create", id));
    // A 201 says where the new resource is (RFC 9110 15.3.2): the route
    // that reads it.
    ([(header::LOCATION, format!("/items/{id}"))], Json(item))
}

/// Delete an item.
#[delete("/items/<id>", tags = ["items"], status = 204)]
async fn delete_item(_caller: ApiKey, id: u32, State(store): State<Store>) -> Result<(), NotFound> {
    let mut items = store.0.lock().unwrap_or_else(|e| e.into_inner());
    let index = items
        .iter()
        .position(|item| item.id == id)
        .ok_or(NotFound)?;
    items.remove(index);
    Ok(())
}

/// The first version's list, moved to `/items`.
#[get("/v0/items", tags = ["items"], deprecated)]
async fn list_items_v0() -> Redirect {
    Redirect::permanent("/items")
}

/// For the load balancer: served, but not part of the API.
#[get("/health", include_in_schema = false)]
async fn health() -> &'static str {
    "ok"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let app = App::new()
        .title("Shop")
        .version("1.0.0")
        .description("Items for sale, documented by their routes.")
        .tag("items", "Everything for sale")
        .state(Store::default())
        .routes(routes![
            list_items,
            read_item,
            create_item,
            delete_item,
            list_items_v0,
            health
        ]);
    atode::run(app).await
}
