//! `App::metrics` and `App::metrics_with`: turning the app's metrics on
//! and serving them.

use std::sync::Arc;

use super::App;
use crate::Router;
use crate::metrics::{AppMetrics, endpoint};

impl App {
    /// Measures the app's requests, background tasks and durable calls
    /// (see [`atode::metrics`](crate::metrics) for the list) and serves
    /// them at `path` (`GET`), in the text format Prometheus scrapes. The
    /// page is a route like the app's others: the app's middleware and
    /// layers stand before it, and it is left out of the OpenAPI document.
    /// To guard it alone, use [`metrics_with`](Self::metrics_with).
    ///
    /// A path that is not plain (`/metrics`, no parameters) is a start-up
    /// error ([`App::check`]).
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// async fn send_welcome(_email: String) {}
    ///
    /// #[post("/signup/<email>")]
    /// async fn signup(email: String, tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(send_welcome, (email,));
    ///     "welcome"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![signup]).metrics("/metrics"));
    /// client.post("/signup/ada@example.com").await;
    /// let page = client.get("/metrics").await.text().to_owned();
    /// // `task` is the function's path: `my_app::send_welcome` in a program.
    /// assert!(page.lines().any(|line| line.starts_with("atode_background_tasks_total{task=")
    ///     && line.ends_with(r#"::send_welcome",handler="signup",outcome="completed"} 1"#)));
    /// assert!(page.ends_with("# EOF\n"));
    /// # }
    /// ```
    pub fn metrics(self, path: &str) -> Self {
        self.metrics_with(path, |router| router)
    }

    /// As [`metrics`](Self::metrics), with the page in a
    /// [`Router`] that `guard` gets and returns: add a middleware or layer
    /// of yours to it (a login, a check of the client's address), and it
    /// stands before the page alone.
    ///
    /// ```
    /// use atode::middleware::Next;
    /// use atode::{App, Body, Response, StatusCode, testing::TestClient};
    /// use atode::http::Request;
    ///
    /// async fn operators_only(request: Request<Body>, next: Next) -> Result<Response, StatusCode> {
    ///     match request.headers().get("authorization") {
    ///         Some(token) if token == "Bearer ops-secret" => Ok(next.run(request).await),
    ///         _ => Err(StatusCode::UNAUTHORIZED),
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().metrics_with("/metrics", |router| router.middleware(operators_only));
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);
    /// let scrape = client.get("/metrics").header("authorization", "Bearer ops-secret").await;
    /// assert_eq!(scrape.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn metrics_with(mut self, path: &str, guard: impl FnOnce(Router) -> Router) -> Self {
        self = self.collect_metrics();
        match endpoint(path) {
            Ok(route) => self.router(guard(Router::new("").routes([route]))),
            Err(problem) => {
                self.routing_mut().router.problem(problem);
                self
            }
        }
    }

    /// Turns the app's metrics on (once: a second call keeps the first's),
    /// and has its durable queue count its attempts in them.
    pub(super) fn collect_metrics(mut self) -> Self {
        let metrics = match &self.shared().metrics {
            Some(metrics) => Arc::clone(metrics),
            None => Arc::new(AppMetrics::new()),
        };
        #[cfg(feature = "durable")]
        if let Some(queue) = self.shared().runner.durable_queue() {
            queue.count_in(&metrics.durable);
        }
        self.shared_mut().metrics = Some(metrics);
        self
    }
}
