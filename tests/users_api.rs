//! `examples/users_api.rs`'s own tests, which `cargo test` runs here: the
//! example is compiled into this test crate as a module, so its tests drive
//! the very app the example serves.

#[allow(dead_code)] // its `main`, which only the example runs
#[path = "../examples/users_api.rs"]
mod users_api;
