//! Every command an example's header documents, run: each example's
//! `//!` header lists how to start it and `curl` lines with the status and
//! body they answer (the convention is in `documented/header.rs`); a test
//! per example starts the compiled example as the header says (on a port
//! the OS picks, in a scratch directory), sends each request, and compares
//! the answer with the header's. A command the test cannot run says so in
//! the header (`# not checked: why`), and is counted and listed.
//!
//! The examples are built by `cargo build --workspace --examples` (or a
//! `cargo test` of the workspace); `--nocapture` shows what each ran.

mod common;
mod documented;
mod durable_support;

/// One test per example, by the name `cargo run --example` takes.
macro_rules! documented {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                documented::check(stringify!($name), None).await;
            }
        )*
        const RUN_HERE: &[&str] = &[$(stringify!($name)),*];
    };
}

documented!(
    send_notification,
    dependency_tasks,
    graceful_shutdown,
    tracing_compression,
    durable_notification,
    durable_signup,
    ops_service,
    openapi,
    users_api,
    sse_clock,
    chat_ws,
    ws_echo,
    upload,
    static_site,
    echo,
);

/// Its header shows two instances and a worker sharing PostgreSQL: the
/// documented server stands for a throwaway database of the test's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn chat_broadcast() {
    let db = durable_support::TestDb::new(durable_support::Backend::Postgres, "documented").await;
    documented::check("chat_broadcast", Some(db.url.clone())).await;
}

/// Every example has a header the test reads, and a test above; the
/// counts of what the headers document, checked or not, are printed.
#[test]
fn every_examples_header_follows_the_convention() {
    let mut listed: Vec<String> = RUN_HERE.iter().map(|name| (*name).to_owned()).collect();
    listed.push("chat_broadcast".to_owned());
    listed.sort();
    let examples = documented::every_example();
    assert_eq!(examples, listed, "list a new example in `documented!`");

    let (mut commands, mut not_checked) = (0, Vec::new());
    for name in &examples {
        let steps = documented::steps(name);
        let mut checked = 0;
        for step in &steps {
            match step {
                documented::header::Step::NotChecked { line, text, why } => {
                    not_checked.push(format!("{name}, line {line}: `{text}` ({why})"));
                }
                documented::header::Step::Export { .. } => {}
                _ => checked += 1,
            }
        }
        assert!(
            checked > 1,
            "examples/{name}.rs documents no command beyond starting it"
        );
        commands += checked;
    }
    println!(
        "{} examples document {commands} checked commands; {} not checked:",
        examples.len(),
        not_checked.len()
    );
    for line in &not_checked {
        println!("  {line}");
    }
}
