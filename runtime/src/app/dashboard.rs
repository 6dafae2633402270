//! `App::task_dashboard` and `App::task_dashboard_with`: serving the task
//! dashboard (`atode::dashboard`'s pages and JSON API) under a path.

use super::App;
use crate::Router;

impl App {
    /// Serves the task dashboard at `path`: an overview of the app's
    /// in-process tasks and its durable queue, the durable calls filtered
    /// and paged, one call with its arguments, attempts and errors, and
    /// the actions retry, cancel and discard (see the
    /// [module](crate::dashboard) for its routes). It turns the app's
    /// metrics on, as [`metrics`](Self::metrics) does, for its counts.
    ///
    /// The pages are routes like the app's others: the app's middleware
    /// stands before them, and nothing else guards them. Anyone who reaches
    /// the path can read the calls' arguments and act on them, so serve it
    /// behind a login with [`task_dashboard_with`](Self::task_dashboard_with).
    /// A path that is not plain (`/admin/tasks`, no parameters) is a
    /// start-up error ([`App::check`]).
    ///
    /// ```
    /// use atode::{App, testing::TestClient};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().task_dashboard("/admin/tasks"));
    /// let page = client.get("/admin/tasks").await;
    /// assert!(page.header("content-type").unwrap().starts_with("text/html"));
    /// assert!(page.text().contains("In-process tasks"));
    /// let counts = client.get("/admin/tasks/api/overview").await;
    /// assert_eq!(counts.json::<serde_json::Value>()["in_process"]["pending"], 0);
    /// # }
    /// ```
    pub fn task_dashboard(self, path: &str) -> Self {
        self.task_dashboard_with(path, |router| router)
    }

    /// As [`task_dashboard`](Self::task_dashboard), with the dashboard's
    /// routes in a [`Router`] that `guard` gets and returns: add a
    /// middleware or layer of yours to it (a login, a check of the
    /// client's address), and it stands before the dashboard alone.
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
    /// let app = App::new().task_dashboard_with("/admin/tasks", |router| router.middleware(operators_only));
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/admin/tasks").await.status(), StatusCode::UNAUTHORIZED);
    /// let page = client.get("/admin/tasks").header("authorization", "Bearer ops-secret").await;
    /// assert_eq!(page.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn task_dashboard_with(mut self, path: &str, guard: impl FnOnce(Router) -> Router) -> Self {
        self = self.collect_metrics();
        match crate::dashboard::routes(path) {
            Ok(routes) => self.router(guard(Router::new("").routes(routes))),
            Err(problem) => {
                self.routing_mut().router.problem(problem);
                self
            }
        }
    }
}
