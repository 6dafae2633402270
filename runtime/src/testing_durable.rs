//! `TestClient::durable`: the app's durable queue, as a test drives it
//! ([`TestQueue`]).

use super::{TestClient, TestQueue};

impl TestClient {
    /// The app's durable queue, for the test to see what its requests
    /// queued, run the calls, and move the queue's clock. A `TestClient`
    /// starts no workers: the calls wait until the test runs them.
    ///
    /// # Panics
    ///
    /// If the app has no durable queue ([`App::durable`](crate::App::durable)).
    ///
    /// ```no_run
    /// use atode::durable::{task, Durable, TaskState};
    /// use atode::testing::TestClient;
    /// use atode::{post, routes, App, BackgroundTasks};
    ///
    /// #[task]
    /// async fn welcome(email: String) {
    ///     let _ = email;
    /// }
    ///
    /// #[post("/signup/<email>")]
    /// async fn signup(email: String, tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(welcome, (email,));
    ///     "welcome!"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
    /// let queue = Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
    /// let client = TestClient::new(App::new().durable(queue).routes(routes![signup]));
    /// client.post("/signup/ada@example.com").await;
    ///
    /// let tasks = client.durable();
    /// let queued = tasks.queued().await;
    /// assert_eq!(queued[0].task, "welcome");
    /// assert_eq!(queued[0].args::<(String,)>().0, "ada@example.com");
    /// let ran = tasks.run_pending().await;
    /// assert_eq!(ran[0].status.state, TaskState::Completed);
    /// # Ok(()) }
    /// ```
    pub fn durable(&self) -> TestQueue {
        match self.app.shared().runner.durable_queue() {
            Some(queue) => TestQueue::new(queue),
            None => panic!(
                "TestClient::durable: the app has no durable queue; give it one with \
                 `App::durable(queue)`"
            ),
        }
    }
}
