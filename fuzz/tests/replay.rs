//! Replays the seed inputs, and every input a fuzz run ever crashed on,
//! through the targets' checks: a stable-Rust regression suite that needs
//! no libFuzzer (`cargo test --manifest-path fuzz/Cargo.toml`).

use std::fs;
use std::path::Path;

/// Every file under `fuzz/<dir>/<target>/`, by name.
fn inputs(dir: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| {
            let path = entry.expect("a readable directory").path();
            let bytes = fs::read(&path).expect("a readable input");
            (path.display().to_string(), bytes)
        })
        .collect()
}

fn replay(target: &str, check: fn(&[u8])) {
    let inputs: Vec<_> = ["seeds", "regressions"]
        .iter()
        .flat_map(|dir| inputs(dir, target))
        .collect();
    assert!(!inputs.is_empty(), "no seed inputs for {target}");
    for (name, bytes) in inputs {
        eprintln!("{target}: {name}");
        check(&bytes);
    }
}

#[test]
fn decode_path_inputs_hold_the_invariants() {
    replay("decode_path", atode_fuzz::decode_path::check);
}

#[test]
fn query_inputs_never_panic() {
    replay("query", atode_fuzz::query::check);
}

#[test]
fn query_keys_inputs_match_the_model() {
    replay("query_keys", atode_fuzz::query_keys::check);
}
