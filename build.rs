//! Which servers the end-to-end suites may test against, decided when they
//! are built: `cfg(atode_postgres)` when `ATODE_TEST_POSTGRES_URL` is set,
//! `cfg(atode_redis)` when `ATODE_TEST_REDIS_URL` is. A test that needs a
//! server carries `#[cfg_attr(not(atode_postgres), ignore = "...")]`, so
//! without one libtest counts it as ignored, with the reason, rather than
//! as a pass that tested nothing.

fn main() {
    for (var, cfg) in [
        ("ATODE_TEST_POSTGRES_URL", "atode_postgres"),
        ("ATODE_TEST_REDIS_URL", "atode_redis"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        // Setting or unsetting the variable rebuilds the suites, so the
        // ignored tests are always those this environment cannot run.
        println!("cargo::rerun-if-env-changed={var}");
        if std::env::var_os(var).is_some_and(|url| !url.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
