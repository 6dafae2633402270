//! A small user service, as an app grows: routes under `/api/v1`, a bearer
//! token on the routes that change things, `HttpError` for what a client
//! gets wrong, `validator` rules answering `422`, a request-id middleware, a
//! store opened by a start-up hook, CORS and request tracing, and a welcome
//! task after each sign-up.
//!
//! ```sh
//! cargo run -p atode-suite --example users_api &
//! curl -i -X POST http://127.0.0.1:8000/api/v1/users/ -H 'authorization: Bearer admin-token' \
//!      -H 'content-type: application/json' -d '{"name": "Ada", "email": "ada@example.com"}'
//! # 201
//! # location: /api/v1/users/1
//! # x-request-id: req-1
//! #
//! # {"id":1,"name":"Ada","email":"ada@example.com"}
//! curl -i -X POST http://127.0.0.1:8000/api/v1/users   # without the slash: curl -L follows, body and all
//! # 307
//! # location: /api/v1/users/
//! curl http://127.0.0.1:8000/api/v1/users/1
//! # 200 {"id":1,"name":"Ada","email":"ada@example.com"}
//! curl -X DELETE http://127.0.0.1:8000/api/v1/users/1   # no token
//! # 401 {"detail":"Not authenticated"}
//! curl -X DELETE http://127.0.0.1:8000/api/v1/users/1 -H 'authorization: Bearer guest'
//! # 403 {"detail":"This token may not change users"}
//! curl http://127.0.0.1:8000/api/v1/users/2
//! # 404 {"detail":"User not found"}
//! ```
//!
//! The API's documentation is at <http://127.0.0.1:8000/docs>.

use std::sync::{Arc, Mutex};

use atode::extract::BearerToken;
use atode::middleware::Next;
use atode::{App, Body, HttpError, Response, Router};
use http::{HeaderValue, Request};
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

/// The token that may change users (an identity provider's job, in a real service).
const ADMIN_TOKEN: &str = "admin-token";

/// The users, kept in memory; a start-up hook opens it.
#[derive(Clone, Default)]
struct Store(Arc<Mutex<Vec<users::User>>>);

/// The request's id: the client's `x-request-id`, or a counter's.
#[derive(Clone)]
struct RequestId(String);

/// Gives each request an id, which handlers read with `Extension` and the
/// response carries back.
async fn request_id(mut request: Request<Body>, next: Next) -> Response {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = match request
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
    {
        Some(id) => id.to_owned(),
        None => format!(
            "req-{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
    };
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The caller may change users only with the admin token: a missing token
/// is `BearerToken`'s `401`, a wrong one this `403`.
fn require_admin(BearerToken(token): &BearerToken) -> Result<(), HttpError> {
    if token == ADMIN_TOKEN {
        Ok(())
    } else {
        Err(HttpError::forbidden("This token may not change users"))
    }
}

mod users {
    use atode::extract::BearerToken;
    use atode::http::header;
    use atode::middleware::Extension;
    use atode::{BackgroundTasks, HttpError, Json, Query, State, Uri, delete, get, post, routes};
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use validator::Validate;

    use super::{RequestId, Store, require_admin};

    /// A user of the service.
    #[derive(Clone, Serialize, JsonSchema)]
    pub struct User {
        pub id: u32,
        pub name: String,
        pub email: String,
    }

    /// What a client sends to create a user.
    // The rules are checked before the handler runs: a body that breaks one
    // is a `422` naming the field.
    #[derive(Deserialize, Validate, JsonSchema)]
    pub struct NewUser {
        #[validate(length(min = 1, max = 100))]
        name: String,
        #[validate(email)]
        email: String,
    }

    /// Which users to list.
    #[derive(Deserialize, Validate, JsonSchema)]
    pub struct Page {
        /// How many users to skip.
        #[serde(default)]
        offset: usize,
        /// At most this many (default 20).
        #[validate(range(min = 1, max = 100))]
        limit: Option<usize>,
    }

    fn welcome(email: String, request: String) {
        tracing::info!(%email, %request, "welcome mail sent");
    }

    /// List users.
    #[get("/")]
    pub async fn list_users(
        State(store): State<Store>,
        Query(page): Query<Page>,
    ) -> Json<Vec<User>> {
        let users = store.0.lock().unwrap_or_else(|e| e.into_inner());
        let limit = page.limit.unwrap_or(20);
        Json(
            users
                .iter()
                .skip(page.offset)
                .take(limit)
                .cloned()
                .collect(),
        )
    }

    /// Read a user.
    #[get("/<id>", errors = [404])]
    pub async fn read_user(id: u32, State(store): State<Store>) -> Result<Json<User>, HttpError> {
        let users = store.0.lock().unwrap_or_else(|e| e.into_inner());
        let user = users.iter().find(|user| user.id == id).cloned();
        user.map(Json)
            .ok_or_else(|| HttpError::not_found("User not found"))
    }

    /// Create a user.
    ///
    /// Needs the admin token. `Location` is the new user's URL; the welcome
    /// mail goes out after the response.
    #[post(
        "/",
        status = 201,
        response_description = "The user, with its id",
        errors = [403, 409]
    )]
    pub async fn create_user(
        token: BearerToken,
        uri: Uri,
        State(store): State<Store>,
        Extension(RequestId(request)): Extension<RequestId>,
        tasks: BackgroundTasks,
        Json(new): Json<NewUser>,
    ) -> Result<([(header::HeaderName, String); 1], Json<User>), HttpError> {
        require_admin(&token)?;
        let mut users = store.0.lock().unwrap_or_else(|e| e.into_inner());
        if users.iter().any(|user| user.email == new.email) {
            return Err(HttpError::conflict("A user has this email already"));
        }
        let user = User {
            id: users.last().map_or(1, |user| user.id + 1),
            name: new.name,
            email: new.email,
        };
        users.push(user.clone());
        tasks.add_task(welcome, (user.email.clone(), request));
        // A 201 says where the new resource is (RFC 9110 15.3.2). The path
        // posted to is the collection's, `/api/v1/users/` as the routers
        // are nested, and the user is read under it: built from the
        // request, it stays right if the routers move.
        let location = format!("{}{}", uri.path(), user.id);
        Ok(([(header::LOCATION, location)], Json(user)))
    }

    /// Delete a user.
    #[delete("/<id>", status = 204, errors = [403, 404])]
    pub async fn delete_user(
        token: BearerToken,
        id: u32,
        State(store): State<Store>,
    ) -> Result<(), HttpError> {
        require_admin(&token)?;
        let mut users = store.0.lock().unwrap_or_else(|e| e.into_inner());
        let index = users
            .iter()
            .position(|user| user.id == id)
            .ok_or_else(|| HttpError::not_found("User not found"))?;
        users.remove(index);
        Ok(())
    }

    pub fn router() -> atode::Router {
        atode::Router::new("/users").tag("users").routes(routes![
            list_users,
            read_user,
            create_user,
            delete_user
        ])
    }
}

/// Opens the store: where a real service connects its database pool. An
/// `Err` here stops the server before it listens.
async fn open_store() -> Result<Store, std::io::Error> {
    Ok(Store::default())
}

/// The app, for `main` and for the tests.
fn app() -> App {
    App::new()
        .title("Users")
        .version("1.0.0")
        .tag("users", "Who may use the service")
        .on_startup(open_store)
        .router(Router::new("/api/v1").router(users::router()))
        .middleware(request_id)
        .layer(CorsLayer::permissive())
        .layer(TraceLayer::new_for_http())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    atode::run(app()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use atode::testing::TestClient;
    use serde_json::{Value, json};

    async fn client() -> TestClient {
        TestClient::start(app()).await
    }

    #[tokio::test]
    async fn a_user_is_created_read_listed_and_deleted() {
        let client = client().await;
        let ada = json!({ "name": "Ada", "email": "ada@example.com" });
        let created = client
            .post("/api/v1/users/")
            .header("authorization", "Bearer admin-token")
            .header("x-request-id", "r-7")
            .json(&ada)
            .await;
        assert_eq!(created.status(), 201);
        assert_eq!(created.header("x-request-id"), Some("r-7"));
        assert_eq!(
            created.json::<Value>(),
            json!({ "id": 1, "name": "Ada", "email": "ada@example.com" })
        );
        // The new user's URL, for the client to follow (RFC 9110 15.3.2).
        assert_eq!(created.header("location"), Some("/api/v1/users/1"));

        assert_eq!(
            client.get("/api/v1/users/1").await.json::<Value>()["name"],
            "Ada"
        );
        assert_eq!(
            client
                .get("/api/v1/users/?limit=5")
                .await
                .json::<Value>()
                .as_array()
                .unwrap()
                .len(),
            1
        );

        let deleted = client
            .delete("/api/v1/users/1")
            .header("authorization", "Bearer admin-token")
            .await;
        assert_eq!(deleted.status(), 204);
        let gone = client.get("/api/v1/users/1").await;
        assert_eq!(
            (gone.status().as_u16(), gone.text()),
            (404, r#"{"detail":"User not found"}"#)
        );
    }

    #[tokio::test]
    async fn changes_need_the_admin_token_and_a_valid_user() {
        let client = client().await;
        let ada = json!({ "name": "Ada", "email": "ada@example.com" });
        let anonymous = client.post("/api/v1/users/").json(&ada).await;
        assert_eq!(anonymous.status(), 401);
        assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
        let wrong = client
            .post("/api/v1/users/")
            .header("authorization", "Bearer guest")
            .json(&ada)
            .await;
        assert_eq!(wrong.status(), 403);

        let invalid = client
            .post("/api/v1/users/")
            .header("authorization", "Bearer admin-token")
            .json(&json!({ "name": "Ada", "email": "ada" }))
            .await;
        assert_eq!(invalid.status(), 422);
        assert_eq!(
            invalid.json::<Value>()["detail"],
            json!([{
                "type": "value_error",
                "loc": ["body", "email"],
                "msg": "value is not a valid email address: An email address must have an @-sign.",
                "input": "ada",
                "ctx": { "reason": "An email address must have an @-sign." },
            }])
        );
        let too_many = client.get("/api/v1/users/?limit=1000").await;
        assert_eq!(too_many.status(), 422);
        assert_eq!(
            too_many.json::<Value>()["detail"][0]["type"],
            "less_than_equal"
        );
        let missing = client
            .post("/api/v1/users/")
            .header("authorization", "Bearer admin-token")
            .json(&json!({ "name": "Ada" }))
            .await;
        assert_eq!(missing.json::<Value>()["detail"][0]["type"], "missing");
    }

    #[tokio::test]
    async fn the_collection_without_its_slash_is_a_307_to_it() {
        // The route is the router's prefix and `"/"`, as FastAPI's
        // `@router.post("/")`; the other spelling is sent on, as there.
        let moved = client().await.post("/api/v1/users?notify=1").await;
        assert_eq!(moved.status(), 307);
        assert_eq!(moved.header("location"), Some("/api/v1/users/?notify=1"));
    }

    #[test]
    fn every_route_is_documented() {
        assert_eq!(app().openapi_gaps(), Vec::<String>::new());
    }
}
