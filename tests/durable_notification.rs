//! `examples/durable_notification.rs`'s own tests (its `mod tests`:
//! `TestClient::durable()` on the example's app), run with the suite. The
//! example is compiled here as a module, because an example built with
//! `test = true` is no longer built as the program the other suites start.

#[allow(dead_code)] // its `main`: the program's, not the tests'
#[path = "../examples/durable_notification.rs"]
mod durable_notification;
