//! wrk, run as a child process on one of this process's routes.

use std::path::Path;

use crate::backend::BoxError;
use crate::cpu;

/// One wrk run.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrkRun {
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub errors: u64,
    /// Requests answered, 2xx or not.
    pub requests: u64,
    /// Of the errors: answers not 2xx (a call that could not be written
    /// is a 503), and requests wrk gave up on after its 2 s timeout.
    pub non_2xx: u64,
    pub timeouts: u64,
    /// The machine's CPU (every process: wrk, this one, the database) per
    /// request, in microseconds, and how busy its CPUs were (0 to 1).
    pub machine_us: f64,
    pub busy: f64,
    /// PostgreSQL's share of `machine_us`.
    pub database_us: f64,
}

/// wrk, one thread, `connections` keep-alive connections, for `seconds`,
/// `POST <base><path><n>` with `n` counting up (`wrk.lua`).
pub async fn run(
    script: &Path,
    base: &str,
    path: &str,
    connections: u32,
    seconds: u64,
) -> Result<WrkRun, BoxError> {
    let since = cpu::Since::now();
    let output = tokio::process::Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(script)
        .arg(base)
        .env("BENCH_PATH", path)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|error| format!("running wrk: {error} (install it: apt-get install wrk)"))?;
    let spent = since.spent();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .ok_or_else(|| {
            format!(
                "wrk gave no result for {base}{path}: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .map(|field| field.parse().map_err(|_| format!("wrk said {line:?}")))
        .collect::<Result<_, _>>()?;
    let [rps, p50_us, p99_us, errors, requests, non_2xx, timeouts] = fields[..] else {
        return Err(format!("wrk said {line:?}").into());
    };
    Ok(WrkRun {
        rps,
        p50_us,
        p99_us,
        errors: errors as u64,
        requests: requests as u64,
        non_2xx: non_2xx as u64,
        timeouts: timeouts as u64,
        machine_us: spent.machine_ms * 1e3 / requests.max(1.0),
        busy: spent.machine_ms / (spent.elapsed_ms * cpu::count() as f64),
        database_us: spent.database_ms * 1e3 / requests.max(1.0),
    })
}
