//! The checks the fuzz targets run, kept in a library so the regression
//! tests in `tests/` replay saved inputs through the very same code on
//! stable Rust, without libFuzzer.

pub mod decode_path;
pub mod query;
pub mod query_keys;
