//! `TestClient`: drive an app in-process, as FastAPI's `TestClient` does.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::extract::RemoteAddr;
use crate::{App, TaskMonitor};

/// Sends requests to an app without a socket. By default a request returns
/// once the app has no background task left to run, as FastAPI's
/// `TestClient` does, so a test can check a task's effect right away.
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
    app: App,
    monitor: TaskMonitor,
}

impl TestClient {
    /// A client for `app`.
    ///
    /// # Panics
    ///
    /// If [`App::check`] fails: a handler takes state the app was not given.
    pub fn new(app: App) -> Self {
        if let Err(error) = app.check() {
            panic!("{error}");
        }
        let monitor = app.task_monitor();
        TestClient { app, monitor }
    }

    /// A request with any method.
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

    /// A `GET` request.
    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::GET, path)
    }

    /// A `POST` request.
    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request.
    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, path)
    }

    /// A `HEAD` request.
    pub fn head(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::HEAD, path)
    }

    /// The app's task counts.
    pub fn task_monitor(&self) -> &TaskMonitor {
        &self.monitor
    }

    /// Waits until the app has no background task left to run: for a request
    /// sent with [`TestRequest::without_waiting_for_tasks`].
    pub async fn wait_for_tasks(&self) {
        self.monitor.wait_idle().await;
    }
}

/// A request being built; await it (or call [`send`](TestRequest::send)) to send it.
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

    /// Sets a header.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header: a mistake in the test.
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

    /// Sends `pairs` as an `application/x-www-form-urlencoded` body.
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

    /// Sends raw bytes as the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Pretends the request came from `addr`, for [`RemoteAddr`].
    pub fn remote_addr(mut self, addr: SocketAddr) -> Self {
        self.remote = Some(addr);
        self
    }

    /// Returns as soon as the response is read, without waiting for
    /// background tasks: to look at the state in between. Wait for them
    /// later with [`TestClient::wait_for_tasks`].
    pub fn without_waiting_for_tasks(mut self) -> Self {
        self.wait_for_tasks = false;
        self
    }

    /// Sends the request and reads the whole response.
    ///
    /// # Panics
    ///
    /// If the path cannot be part of a URI: a mistake in the test.
    pub async fn send(self) -> TestResponse {
        let uri = if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut request = http::Request::new(Full::new(self.body));
        *request.method_mut() = self.method;
        *request.uri_mut() = uri
            .parse()
            .unwrap_or_else(|error| panic!("invalid test URI {uri:?}: {error}"));
        *request.headers_mut() = self.headers;
        if let Some(remote) = self.remote {
            request.extensions_mut().insert(RemoteAddr(remote));
        }
        let Ok(response) =
            tower_service::Service::call(&mut self.client.app.clone(), request).await;
        let (head, body) = response.into_parts();
        // Reading the body to its end is what starts the request's tasks.
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => panic!("the response body failed: {error}"),
        };
        if self.wait_for_tasks {
            self.client.monitor.wait_idle().await;
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

/// A response, read whole.
#[derive(Clone, Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text.
    ///
    /// # Panics
    ///
    /// If the body is not UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body)
            .unwrap_or_else(|error| panic!("the response body is not UTF-8: {error}"))
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// If the body is not JSON of that shape; the message shows the body.
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
