//! Lifespan hooks, FastAPI's `lifespan`: start-up work that must succeed
//! before the server listens (open a pool, warm a cache), and shutdown work
//! once the background tasks have drained (close the pool, flush metrics).
//!
//! Register them with [`App::on_startup`](crate::App::on_startup) and
//! [`App::on_shutdown`](crate::App::on_shutdown); this module holds the
//! traits that say which functions qualify.
//!
//! ```
//! use atode::{get, routes, App, State};
//! use atode::testing::TestClient;
//!
//! #[derive(Clone)]
//! struct Pool {
//!     url: &'static str,
//! }
//!
//! async fn connect() -> std::io::Result<Pool> {
//!     Ok(Pool { url: "sqlite::memory:" })
//! }
//!
//! #[get("/db")]
//! async fn db(State(pool): State<Pool>) -> &'static str {
//!     pool.url
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .on_startup(connect)
//!     .on_shutdown(|State(pool): State<Pool>| async move { drop(pool) })
//!     .routes(routes![db]);
//! let client = TestClient::start(app).await;
//! assert_eq!(client.get("/db").await.text(), "sqlite::memory:");
//! client.shutdown().await;
//! # }
//! ```

mod hook;

#[doc(hidden)]
pub use hook::Hook;
pub use hook::{ShutdownHook, ShutdownResult, StartupHook, StartupResult};

use std::any::TypeId;

use tokio::time::Instant;

use crate::extract::StateMap;
use crate::panic::{CatchUnwind, panic_message};

/// An app's hooks, in registration order.
#[derive(Clone, Default)]
pub(crate) struct Lifespan {
    pub(crate) startup: Vec<Hook>,
    pub(crate) shutdown: Vec<Hook>,
}

impl Lifespan {
    /// The state types the start-up hooks provide.
    pub(crate) fn provided(&self) -> impl Iterator<Item = TypeId> + '_ {
        self.startup
            .iter()
            .filter_map(|hook| hook.provides.map(|(id, _)| id))
    }

    /// What the hooks take that nothing gives them: a start-up hook may
    /// take the app's state and what the hooks before it return; a
    /// shutdown hook, what any start-up hook returns.
    pub(crate) fn problems(&self, state: &StateMap) -> Vec<String> {
        let mut problems = Vec::new();
        for (index, hook) in self.startup.iter().enumerate() {
            let earlier = &self.startup[..index];
            let given = |id| {
                state.contains(id)
                    || earlier
                        .iter()
                        .any(|hook| hook.provides.map(|(p, _)| p) == Some(id))
            };
            for missing in hook.needs.missing(given) {
                problems.push(format!(
                    "start-up hook `{}` takes `State<{missing}>`, but neither the app nor an earlier start-up hook gives a `{missing}`: add `.state(...)` with one, or register the hook that returns it first",
                    hook.name
                ));
            }
        }
        for hook in &self.shutdown {
            let given = |id| state.contains(id) || self.provided().any(|p| p == id);
            for missing in hook.needs.missing(given) {
                problems.push(format!(
                    "shutdown hook `{}` takes `State<{missing}>`, but the app has no `{missing}`: add `.state(...)` or a start-up hook that returns one",
                    hook.name
                ));
            }
        }
        problems
    }

    /// Runs the start-up hooks in order, adding what each returns to
    /// `state`; stops at the first that fails or panics, with the reason.
    pub(crate) async fn start(&self, state: &mut StateMap) -> Result<(), String> {
        for hook in &self.startup {
            let provide = match CatchUnwind::new((hook.run)(state)).await {
                Ok(Ok(provide)) => provide,
                Ok(Err(error)) => {
                    return Err(format!("start-up hook `{}` failed: {error}", hook.name));
                }
                Err(panic) => {
                    let panic = panic_message(&*panic);
                    return Err(format!("start-up hook `{}` panicked: {panic}", hook.name));
                }
            };
            if let Some(provide) = provide {
                provide(state);
            }
            tracing::debug!(target: "atode::lifespan", hook = hook.name, "start-up hook done");
        }
        Ok(())
    }

    /// Runs the shutdown hooks in reverse order of registration, every one
    /// of them whatever the others do; returns what went wrong, each one
    /// also logged. Past `deadline`, a hook that would wait is cancelled:
    /// each is still polled once, so one that has nothing to wait for runs.
    pub(crate) async fn shut_down(
        &self,
        state: &StateMap,
        deadline: Option<Instant>,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        for hook in self.shutdown.iter().rev() {
            let run = CatchUnwind::new((hook.run)(state));
            let outcome = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, run).await.ok(),
                None => Some(run.await),
            };
            let failure = match outcome {
                Some(Ok(Ok(_))) => {
                    tracing::debug!(target: "atode::lifespan", hook = hook.name, "shutdown hook done");
                    continue;
                }
                Some(Ok(Err(error))) => {
                    tracing::error!(target: "atode::lifespan", hook = hook.name, %error, "shutdown hook failed");
                    format!("shutdown hook `{}` failed: {error}", hook.name)
                }
                Some(Err(panic)) => {
                    let panic = panic_message(&*panic);
                    tracing::error!(target: "atode::lifespan", hook = hook.name, panic, "shutdown hook panicked");
                    format!("shutdown hook `{}` panicked: {panic}", hook.name)
                }
                None => {
                    tracing::warn!(target: "atode::lifespan", hook = hook.name, "shutdown hook cancelled: the shutdown deadline passed");
                    format!(
                        "shutdown hook `{}` was cancelled at the shutdown deadline",
                        hook.name
                    )
                }
            };
            failures.push(failure);
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::{App, State};

    #[derive(Clone, Default)]
    struct Journal(Arc<Mutex<Vec<&'static str>>>);

    impl Journal {
        fn push(&self, event: &'static str) {
            self.0.lock().expect("journal lock").push(event);
        }

        fn events(&self) -> Vec<&'static str> {
            self.0.lock().expect("journal lock").clone()
        }
    }

    #[derive(Clone)]
    struct Pool;

    #[tokio::test]
    async fn startup_stops_at_the_first_failing_hook_and_names_it() {
        let journal = Journal::default();
        let app = App::new()
            .state(journal.clone())
            .on_startup(|State(journal): State<Journal>| async move {
                journal.push("first");
                Err::<(), _>("no route to the database")
            })
            .on_startup(|State(journal): State<Journal>| async move { journal.push("second") });
        let error = app.start().await.expect_err("the first hook fails");
        let message = error.to_string();
        assert!(
            message.starts_with("atode: the app cannot start: start-up hook `"),
            "{message}"
        );
        assert!(
            message.ends_with("` failed: no route to the database"),
            "{message}"
        );
        assert!(
            message.contains("lifespan::tests::"),
            "names the hook: {message}"
        );
        assert_eq!(journal.events(), ["first"]);
    }

    #[tokio::test]
    async fn a_panicking_startup_hook_is_an_error_not_a_crash() {
        let app = App::new().on_startup(|| async {
            if true {
                panic!("a bug at start-up");
            }
        });
        let message = app.start().await.expect_err("the hook panics").to_string();
        assert!(message.contains("panicked: a bug at start-up"), "{message}");
    }

    #[tokio::test]
    async fn the_started_app_has_the_state_and_the_original_does_not() {
        let app = App::new().on_startup(|| async { Ok::<_, String>(Pool) });
        let started = app.start().await.expect("starts");
        assert!(started.shared().state.get::<Pool>().is_some());
        assert!(app.shared().state.get::<Pool>().is_none());
    }

    #[test]
    fn a_hook_may_take_only_state_given_before_it() {
        let open = || async { Ok::<_, String>(Pool) };
        let uses = |State(_pool): State<Pool>| async {};
        let late = App::new().on_startup(uses).on_startup(open);
        let message = late.check().expect_err("the pool comes later").to_string();
        assert!(message.contains("start-up hook `"), "{message}");
        assert!(
            message.contains("takes `State<atode::lifespan::tests::Pool>`"),
            "{message}"
        );
        assert!(App::new().on_startup(open).on_startup(uses).check().is_ok());
        assert!(App::new().state(Pool).on_startup(uses).check().is_ok());
    }

    #[test]
    fn a_shutdown_hook_may_take_what_any_startup_hook_gives() {
        let close = |State(_pool): State<Pool>| async {};
        let message = App::new()
            .on_shutdown(close)
            .check()
            .expect_err("no pool")
            .to_string();
        assert!(message.contains("shutdown hook `"), "{message}");
        let open = || async { Ok::<_, String>(Pool) };
        assert!(
            App::new()
                .on_shutdown(close)
                .on_startup(open)
                .check()
                .is_ok()
        );
    }

    #[tokio::test]
    async fn past_the_deadline_a_hook_with_nothing_to_wait_for_still_runs() {
        let journal = Journal::default();
        let app = App::new()
            .state(journal.clone())
            .on_shutdown(|State(journal): State<Journal>| async move { journal.push("ran") })
            .on_shutdown(std::future::pending::<()>);
        let passed = tokio::time::Instant::now();
        let shutdown = app.shut_down(Some(passed));
        let guard = std::time::Duration::from_secs(10);
        let failures = tokio::time::timeout(guard, shutdown)
            .await
            .expect("hung past the deadline");
        assert_eq!(journal.events(), ["ran"]);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].contains("cancelled at the shutdown deadline"),
            "{failures:?}"
        );
    }
}
