//! The compile-error suite: every route mistake is a precise compile error.
//!
//! `tests/ui/fail/*.rs` must fail to compile with exactly the `.stderr` beside
//! them; `tests/ui/pass/*.rs` must compile and run. After changing a message,
//! regenerate with `TRYBUILD=overwrite cargo test --test ui`, then review
//! every changed `.stderr` by hand: they are the messages users will read.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
