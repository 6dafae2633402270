//! The commands each example's header documents, run and compared with
//! what the header says they print (`header` has the convention).

pub mod curl;
pub mod expect;
pub mod header;
pub mod session;
pub mod words;

use std::path::PathBuf;

pub use session::Counts;

/// The repository's root, where the documented commands are typed.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The commands of `examples/{name}.rs`'s header, read.
pub fn steps(name: &str) -> Vec<header::Step> {
    let path = root().join("examples").join(format!("{name}.rs"));
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let steps =
        header::parse(&source).unwrap_or_else(|error| panic!("examples/{name}.rs, {error}"));
    // Every curl's flags are ones the test sends, whatever it answers.
    for step in &steps {
        let header::Step::Curl { line, words, .. } = step else {
            continue;
        };
        if let Err(error) = curl::parse(words, &root()) {
            panic!("examples/{name}.rs, header line {line}: {error}");
        }
    }
    steps
}

/// Runs `name`'s documented commands against the compiled example; a
/// documented `postgres://` URL stands for `postgres`.
pub async fn check(name: &str, postgres: Option<String>) -> Counts {
    let root = root();
    let in_suite = session::suite_examples(&root)
        .iter()
        .any(|suite| suite == name);
    let counts = session::Session::new(name, in_suite, &root, postgres)
        .run(steps(name))
        .await;
    report(name, &counts);
    counts
}

/// The session's summary, shown with `--nocapture`.
pub fn report(name: &str, counts: &Counts) {
    println!(
        "{name}: {} started, {} curl, {} websocat, {} file, {} kill checked; {} not checked",
        counts.started,
        counts.curls,
        counts.sockets,
        counts.files,
        counts.kills,
        counts.not_checked.len()
    );
    for line in &counts.not_checked {
        println!("  not checked, {line}");
    }
}

/// Every example's name, from `examples/`.
pub fn every_example() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name();
            name.to_str()?.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}
