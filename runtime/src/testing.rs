//! `TestClient`: drive an app in-process, as FastAPI's `TestClient` does.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::background::RequestWatch;
use crate::extract::RemoteAddr;
use crate::lifecycle::Lifecycle;
use crate::{App, TaskMonitor};

#[cfg(feature = "multipart")]
#[path = "testing_multipart.rs"]
mod multipart_form;
#[cfg(feature = "multipart")]
pub use multipart_form::MultipartForm;

#[cfg(feature = "durable")]
#[path = "testing_durable.rs"]
mod durable_queue;
#[cfg(feature = "durable")]
pub use crate::durable::testing::{QueuedCall, RUN_PENDING_LIMIT, RanCall, TestQueue};

/// Sends requests to an app without a socket. By default a request returns
/// once its own background tasks have run, as FastAPI's `TestClient` does,
/// so a test can check a task's effect right away; a task of another
/// request that is still running (or stuck) does not hold it.
///
/// ```
/// use atode::{post, routes, App, BackgroundTasks};
/// use atode::testing::TestClient;
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Clone, Default)]
/// struct Outbox(Arc<Mutex<Vec<String>>>);
///
/// fn deliver(outbox: Outbox, to: String) {
///     outbox.0.lock().unwrap().push(to);
/// }
///
/// #[post("/send/<to>")]
/// async fn send(to: String, atode::State(outbox): atode::State<Outbox>, tasks: BackgroundTasks) -> &'static str {
///     tasks.add_task(deliver, (outbox, to));
///     "queued"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let outbox = Outbox::default();
/// let client = TestClient::new(App::new().state(outbox.clone()).routes(routes![send]));
/// let response = client.post("/send/ada").await;
/// assert_eq!(response.text(), "queued");
/// assert_eq!(*outbox.0.lock().unwrap(), ["ada"]); // the task has run
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TestClient {
    /// The app, with the client's own lifecycle, as a server has one: what
    /// [`shutdown`](Self::shutdown) drains. Shared by its clones.
    app: App,
    monitor: TaskMonitor,
    /// Whether the app's start-up hooks ran, so its shutdown hooks may.
    started: bool,
}

impl TestClient {
    /// A client for `app`. It checks the app first, as a server does, so a
    /// test fails on a set-up mistake rather than on a `500`. It does not
    /// run the app's lifespan hooks ([`App::on_startup`],
    /// [`App::on_shutdown`]): a test that needs them uses
    /// [`start`](Self::start).
    ///
    /// # Panics
    ///
    /// If [`App::check`] fails: a handler takes state the app was not given
    /// (or that only a start-up hook gives).
    ///
    /// ```should_panic
    /// use atode::{get, routes, App, State, testing::TestClient};
    ///
    /// #[derive(Clone)]
    /// struct Db;
    ///
    /// #[get("/")]
    /// async fn index(State(_db): State<Db>) -> &'static str {
    ///     "ok"
    /// }
    ///
    /// // Panics: `index` takes `State<Db>`, and the app has no `Db`.
    /// TestClient::new(App::new().routes(routes![index]));
    /// ```
    pub fn new(app: App) -> Self {
        if let Err(error) = app.check_without_hooks() {
            panic!("{error}");
        }
        let monitor = app.task_monitor();
        TestClient {
            app: app.with_lifecycle(Lifecycle::default()),
            monitor,
            started: false,
        }
    }

    /// A client for `app` that first runs its start-up hooks
    /// ([`App::on_startup`]), as a server does before it listens, so
    /// handlers get the state they return. Call
    /// [`shutdown`](Self::shutdown) at the end of the test to run the
    /// shutdown hooks; a client only dropped never runs them (as with
    /// FastAPI's `TestClient` outside a `with` block, the hooks are the
    /// test's choice).
    ///
    /// # Panics
    ///
    /// If [`App::check`] fails, or a start-up hook returns `Err` or panics;
    /// the message names the hook and its error.
    ///
    /// ```
    /// use atode::{get, routes, App, State, testing::TestClient};
    ///
    /// #[derive(Clone)]
    /// struct Cache(Vec<&'static str>);
    ///
    /// #[get("/first")]
    /// async fn first(State(cache): State<Cache>) -> &'static str {
    ///     cache.0[0]
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .on_startup(|| async { Ok::<_, std::io::Error>(Cache(vec!["warm"])) })
    ///     .routes(routes![first]);
    /// let client = TestClient::start(app).await;
    /// assert_eq!(client.get("/first").await.text(), "warm");
    /// # }
    /// ```
    ///
    /// ```should_panic
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().on_startup(|| async { Err::<(), _>("the cache is cold") });
    /// TestClient::start(app).await; // panics, naming the hook and its error
    /// # }
    /// ```
    pub async fn start(app: App) -> Self {
        if let Err(error) = app.check() {
            panic!("{error}");
        }
        let app = match app.start().await {
            Ok(started) => started,
            Err(error) => panic!("{error}"),
        };
        let monitor = app.task_monitor();
        TestClient {
            app: app.with_lifecycle(Lifecycle::default()),
            monitor,
            started: true,
        }
    }

    /// Shuts the client down as a server does once its connections are
    /// closed: event streams of its requests end, and it waits until
    /// every background task of its requests (and of its clones') has
    /// run, then runs the shutdown hooks ([`App::on_shutdown`]) in
    /// reverse order of registration, each whatever the others do.
    /// Returns what went wrong (a hook that returned `Err` or panicked,
    /// named, with its error), each also logged; empty when all went
    /// well. The hooks run only on a client made with
    /// [`start`](Self::start), whose start-up hooks ran. Tasks of the same
    /// app served elsewhere (a server, another client) are theirs to
    /// drain. Clones of this client can still send requests afterwards,
    /// as a stopped server's lifecycle has them: their tasks run, but a
    /// task added to a list whose tasks have all run is refused.
    ///
    /// ```
    /// use atode::{App, testing::TestClient};
    /// use std::sync::{Arc, Mutex};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let closed = Arc::new(Mutex::new(false));
    /// let flag = Arc::clone(&closed);
    /// let app = App::new().on_shutdown(move || {
    ///     let flag = Arc::clone(&flag);
    ///     async move { *flag.lock().unwrap() = true }
    /// });
    /// let client = TestClient::start(app).await;
    /// assert!(client.shutdown().await.is_empty());
    /// assert!(*closed.lock().unwrap());
    /// # }
    /// ```
    pub async fn shutdown(self) -> Vec<String> {
        let lifecycle = &self.app.shared().lifecycle;
        lifecycle.begin_drain();
        lifecycle.wait_idle().await;
        lifecycle.stop();
        if !self.started {
            return Vec::new();
        }
        self.app.shut_down(None).await
    }

    /// A request with any method; [`get`](Self::get), [`post`](Self::post),
    /// [`put`](Self::put), [`patch`](Self::patch), [`delete`](Self::delete)
    /// and [`head`](Self::head) are its shorthands. Await the request to
    /// send it.
    ///
    /// ```
    /// use atode::{route, routes, App, Method, StatusCode, testing::TestClient};
    ///
    /// #[route(GET, POST, PUT, PATCH, DELETE, "/echo")]
    /// async fn echo(method: Method) -> String {
    ///     method.to_string()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![echo]));
    /// assert_eq!(client.get("/echo").await.text(), "GET");
    /// assert_eq!(client.post("/echo").await.text(), "POST");
    /// assert_eq!(client.put("/echo").await.text(), "PUT");
    /// assert_eq!(client.patch("/echo").await.text(), "PATCH");
    /// assert_eq!(client.delete("/echo").await.text(), "DELETE");
    /// // A GET route also answers HEAD.
    /// assert_eq!(client.head("/echo").await.status(), StatusCode::OK);
    /// let options = client.request(Method::OPTIONS, "/echo").await;
    /// assert_eq!(options.status(), StatusCode::METHOD_NOT_ALLOWED);
    /// # }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest {
            client: self,
            method,
            path: path.to_owned(),
            query: String::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            wait_for_tasks: true,
            remote: None,
        }
    }

    /// A `GET` request to `path`; see [`request`](Self::request) for an
    /// example with every method.
    ///
    /// ```
    /// # use atode::{get, routes, App, testing::TestClient};
    /// #[get("/items/<id>")]
    /// async fn show(id: u32) -> String {
    ///     format!("item {id}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![show]));
    /// assert_eq!(client.get("/items/7").await.text(), "item 7");
    /// # }
    /// ```
    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::GET, path)
    }

    /// A `POST` request to `path`; see [`request`](Self::request) for an
    /// example with every method.
    ///
    /// ```
    /// # use atode::{post, routes, App, testing::TestClient};
    /// #[post("/items")]
    /// async fn create(body: String) -> String {
    ///     format!("created {body}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![create]));
    /// assert_eq!(client.post("/items").body("pen").await.text(), "created pen");
    /// # }
    /// ```
    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::POST, path)
    }

    /// A `PUT` request to `path`; see [`request`](Self::request) for an
    /// example with every method.
    ///
    /// ```
    /// # use atode::{put, routes, App, testing::TestClient};
    /// #[put("/items/<id>")]
    /// async fn replace(id: u32) -> String {
    ///     format!("replaced {id}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![replace]));
    /// assert_eq!(client.put("/items/7").await.text(), "replaced 7");
    /// # }
    /// ```
    pub fn put(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request to `path`; see [`request`](Self::request) for an
    /// example with every method.
    ///
    /// ```
    /// # use atode::{patch, routes, App, testing::TestClient};
    /// #[patch("/items/<id>")]
    /// async fn update(id: u32) -> String {
    ///     format!("updated {id}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![update]));
    /// assert_eq!(client.patch("/items/7").await.text(), "updated 7");
    /// # }
    /// ```
    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request to `path`; see [`request`](Self::request) for an
    /// example with every method.
    ///
    /// ```
    /// # use atode::{delete, routes, App, testing::TestClient};
    /// #[delete("/items/<id>")]
    /// async fn remove(id: u32) -> String {
    ///     format!("deleted {id}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![remove]));
    /// assert_eq!(client.delete("/items/7").await.text(), "deleted 7");
    /// # }
    /// ```
    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, path)
    }

    /// A `HEAD` request to `path`; see [`request`](Self::request) for an
    /// example with every method.
    ///
    /// ```
    /// # use atode::{get, routes, App, testing::TestClient};
    /// #[get("/health")]
    /// async fn health() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![health]));
    /// assert_eq!(client.head("/health").await.status(), 200); // a GET route answers HEAD
    /// # }
    /// ```
    pub fn head(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::HEAD, path)
    }

    /// The app's task counts, to check what a request's background tasks
    /// did (or that a request queued none).
    ///
    /// ```
    /// use atode::{App, TaskStats, testing::TestClient};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new());
    /// client.get("/missing").await;
    /// assert_eq!(client.task_monitor().stats(), TaskStats::default());
    /// # }
    /// ```
    pub fn task_monitor(&self) -> &TaskMonitor {
        &self.monitor
    }

    /// Waits until the requests this client (or a clone of it) sent have
    /// no background task left to run: for a request sent with
    /// [`TestRequest::without_waiting_for_tasks`], whose example shows
    /// both. Returns at once when nothing is queued. Tasks of the same app
    /// served elsewhere are not waited for; [`TaskMonitor::wait_idle`]
    /// waits for every task of the app.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new());
    /// client.wait_for_tasks().await;
    /// assert_eq!(client.task_monitor().stats().pending, 0);
    /// # }
    /// ```
    pub async fn wait_for_tasks(&self) {
        self.app.shared().lifecycle.wait_idle().await;
    }
}

/// A request being built; await it (or call [`send`](TestRequest::send)) to send it.
/// Made by [`TestClient::request`] and its shorthands; each method adds one
/// part of the request.
///
/// ```
/// use atode::extract::BearerToken;
/// use atode::{post, routes, App, Json, RemoteAddr, TypedHeader, testing::TestClient};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Note {
///     text: String,
/// }
///
/// #[post("/notes")]
/// async fn add(
///     RemoteAddr(addr): RemoteAddr,
///     TypedHeader(BearerToken(token)): TypedHeader<BearerToken>,
///     Json(note): Json<Note>,
/// ) -> String {
///     format!("{} from {} with {token}", note.text, addr.ip())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![add]));
/// let response = client
///     .post("/notes")
///     .header("authorization", "Bearer s3cret")
///     .remote_addr("192.0.2.7:4000".parse().unwrap())
///     .json(&serde_json::json!({ "text": "hi" }))
///     .await;
/// assert_eq!(response.text(), "hi from 192.0.2.7 with s3cret");
/// # }
/// ```
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct TestRequest<'c> {
    client: &'c TestClient,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Bytes,
    wait_for_tasks: bool,
    remote: Option<SocketAddr>,
}

impl TestRequest<'_> {
    /// Adds query pairs, percent-encoded.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new());
    /// let response = client.get("/search").query(&[("q", "rust web")]).await;
    /// assert_eq!(response.status(), 404);
    /// # }
    /// ```
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        for (key, value) in pairs {
            if !self.query.is_empty() {
                self.query.push('&');
            }
            self.query.push_str(&encode(key));
            self.query.push('=');
            self.query.push_str(&encode(value));
        }
        self
    }

    /// Sets a header, replacing one of the same name.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header: a mistake in the test.
    ///
    /// ```
    /// use atode::{get, routes, App, HeaderMap, testing::TestClient};
    ///
    /// #[get("/lang")]
    /// async fn lang(headers: HeaderMap) -> String {
    ///     headers["accept-language"].to_str().unwrap_or_default().to_owned()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![lang]));
    /// let response = client.get("/lang").header("accept-language", "ja").await;
    /// assert_eq!(response.text(), "ja");
    /// # }
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name)
            .unwrap_or_else(|error| panic!("invalid header name {name:?}: {error}"));
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|error| panic!("invalid header value {value:?}: {error}"));
        self.headers.insert(name, value);
        self
    }

    /// Sends `value` as a JSON body, with its `Content-Type`.
    ///
    /// # Panics
    ///
    /// If `value` cannot be serialized: a mistake in the test.
    ///
    /// ```
    /// use atode::{post, routes, App, Json, testing::TestClient};
    /// use serde_json::{Value, json};
    ///
    /// #[post("/echo")]
    /// async fn echo(Json(value): Json<Value>) -> Json<Value> {
    ///     Json(value)
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![echo]));
    /// let response = client.post("/echo").json(&json!({ "id": 7 })).await;
    /// assert_eq!(response.json::<Value>(), json!({ "id": 7 }));
    /// # }
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        let json = serde_json::to_vec(value)
            .unwrap_or_else(|error| panic!("cannot serialize the test body: {error}"));
        self.body = Bytes::from(json);
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    /// Sends `pairs` as an `application/x-www-form-urlencoded` body, with
    /// its `Content-Type`; keys and values are percent-encoded.
    ///
    /// ```
    /// use atode::{post, routes, App, Form, testing::TestClient};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct Login {
    ///     username: String,
    /// }
    ///
    /// #[post("/login")]
    /// async fn login(Form(login): Form<Login>) -> String {
    ///     format!("hello {}", login.username)
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![login]));
    /// let response = client.post("/login").form(&[("username", "ada & co")]).await;
    /// assert_eq!(response.text(), "hello ada & co");
    /// # }
    /// ```
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
            .collect();
        self.body = Bytes::from(encoded.join("&"));
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self
    }

    /// Sends raw bytes as the body, without a `Content-Type`: for the
    /// `Bytes` and `String` extractors, or to test a rejection.
    ///
    /// ```
    /// use atode::{post, routes, App, Json, testing::TestClient};
    ///
    /// #[post("/items")]
    /// async fn create(Json(_item): Json<serde_json::Value>) -> &'static str {
    ///     "created"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![create]));
    /// // JSON text, but no `Content-Type: application/json`.
    /// let response = client.post("/items").body(r#"{"id":1}"#).await;
    /// assert_eq!(response.status(), 415);
    /// # }
    /// ```
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Pretends the request came from `addr`, for [`RemoteAddr`]. Without
    /// it, a request has no address and `RemoteAddr` answers `500`.
    ///
    /// ```
    /// use atode::{get, routes, App, RemoteAddr, testing::TestClient};
    ///
    /// #[get("/ip")]
    /// async fn ip(RemoteAddr(addr): RemoteAddr) -> String {
    ///     addr.ip().to_string()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![ip]));
    /// let response = client.get("/ip").remote_addr(([10, 0, 0, 1], 5555).into()).await;
    /// assert_eq!(response.text(), "10.0.0.1");
    /// assert_eq!(client.get("/ip").await.status(), 500);
    /// # }
    /// ```
    pub fn remote_addr(mut self, addr: SocketAddr) -> Self {
        self.remote = Some(addr);
        self
    }

    /// Returns as soon as the response is read, without waiting for
    /// background tasks: to look at the state in between. Wait for them
    /// later with [`TestClient::wait_for_tasks`].
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, State, testing::TestClient};
    /// use std::sync::Arc;
    /// use tokio::sync::Notify;
    ///
    /// /// Holds the task until the test lets it go.
    /// #[derive(Clone, Default)]
    /// struct Gate(Arc<Notify>);
    ///
    /// async fn pass(gate: Gate) {
    ///     gate.0.notified().await;
    /// }
    ///
    /// #[post("/slow")]
    /// async fn slow(State(gate): State<Gate>, tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(pass, (gate,));
    ///     "accepted"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let gate = Gate::default();
    /// let client = TestClient::new(App::new().state(gate.clone()).routes(routes![slow]));
    /// let response = client.post("/slow").without_waiting_for_tasks().await;
    /// assert_eq!(response.text(), "accepted");
    /// assert_eq!(client.task_monitor().stats().pending, 1); // the response did not wait
    ///
    /// gate.0.notify_one();
    /// client.wait_for_tasks().await;
    /// assert_eq!(client.task_monitor().stats().completed, 1);
    /// # }
    /// ```
    pub fn without_waiting_for_tasks(mut self) -> Self {
        self.wait_for_tasks = false;
        self
    }

    /// Sends the request and reads the whole response. Awaiting the request
    /// does the same; `send` names it, for a future to store or pass on.
    ///
    /// # Panics
    ///
    /// If the path cannot be part of a URI: a mistake in the test.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new());
    /// let pending = client.get("/missing").send();
    /// assert_eq!(pending.await.status(), 404);
    /// # }
    /// ```
    pub async fn send(self) -> TestResponse {
        let uri = if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let is_head = self.method == Method::HEAD;
        let mut request = http::Request::new(Full::new(self.body));
        *request.method_mut() = self.method;
        *request.uri_mut() = uri
            .parse()
            .unwrap_or_else(|error| panic!("invalid test URI {uri:?}: {error}"));
        *request.headers_mut() = self.headers;
        if let Some(remote) = self.remote {
            request.extensions_mut().insert(RemoteAddr(remote));
        }
        // The request's list finds this in the extensions (through any
        // layer) and reports its batches to it.
        let watch = RequestWatch::default();
        request.extensions_mut().insert(watch.clone());
        let remote = self.remote;
        let Ok(response) = self
            .client
            .app
            .handle(request.map(crate::Body::new), remote)
            .await;
        let (head, body) = response.into_parts();
        // Reading the body to its end is what starts the request's tasks.
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => panic!("the response body failed: {error}"),
        };
        // A server sends a HEAD response's headers only; so does the client.
        let body = if is_head { Bytes::new() } else { body };
        if self.wait_for_tasks {
            // This request's tasks only: another request's stuck task must
            // not hang this one.
            watch.wait().await;
        }
        TestResponse {
            status: head.status,
            headers: head.headers,
            body,
        }
    }
}

impl<'c> IntoFuture for TestRequest<'c> {
    type Output = TestResponse;
    type IntoFuture = Pin<Box<dyn Future<Output = TestResponse> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A response, read whole: what awaiting a [`TestRequest`] gives. Its
/// methods read the status, the headers and the body in whichever form a
/// test wants to compare.
///
/// ```
/// use atode::{get, routes, App, Json, StatusCode, testing::TestClient};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// struct Item {
///     id: u32,
/// }
///
/// #[get("/item")]
/// async fn item() -> ([(&'static str, &'static str); 1], Json<Item>) {
///     ([("x-cache", "miss")], Json(Item { id: 7 }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![item]));
/// let response = client.get("/item").await;
/// assert_eq!(response.status(), StatusCode::OK);
/// assert_eq!(response.header("content-type"), Some("application/json"));
/// assert_eq!(response.headers()["x-cache"], "miss");
/// assert_eq!(response.bytes().as_ref(), br#"{"id":7}"#);
/// assert_eq!(response.text(), r#"{"id":7}"#);
/// assert_eq!(response.json::<Item>(), Item { id: 7 });
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let response = TestClient::new(App::new()).get("/missing").await;
    /// assert_eq!(response.status(), atode::StatusCode::NOT_FOUND);
    /// # }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let response = TestClient::new(App::new()).get("/missing").await;
    /// assert_eq!(response.headers()["content-type"], "application/json");
    /// # }
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header as text, if present and visible ASCII.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let response = TestClient::new(App::new()).get("/missing").await;
    /// assert_eq!(response.header("content-type"), Some("application/json"));
    /// assert_eq!(response.header("x-missing"), None);
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body's bytes.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let response = TestClient::new(App::new()).get("/missing").await;
    /// assert_eq!(response.bytes().as_ref(), br#"{"detail":"Not Found"}"#);
    /// # }
    /// ```
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text.
    ///
    /// # Panics
    ///
    /// If the body is not UTF-8.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let response = TestClient::new(App::new()).get("/missing").await;
    /// assert_eq!(response.text(), r#"{"detail":"Not Found"}"#);
    /// # }
    /// ```
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body)
            .unwrap_or_else(|error| panic!("the response body is not UTF-8: {error}"))
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// If the body is not JSON of that shape; the message shows the body.
    ///
    /// ```
    /// # use atode::{App, testing::TestClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let response = TestClient::new(App::new()).get("/missing").await;
    /// let body: serde_json::Value = response.json();
    /// assert_eq!(body["detail"], "Not Found");
    /// # }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the response body is not the expected JSON ({error}): {}",
                self.text()
            )
        })
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
