//! CPU time from the scheduler's nanosecond counts in /proc, in
//! milliseconds: this process's threads (the workers, the pool, and SQLite
//! inside them) and PostgreSQL's backends. Not `utime`/`stime`: their
//! 10 ms ticks are coarser than what an idle worker uses in 10 s.

use std::collections::HashMap;

/// Time on a CPU of each of this process's threads, by thread id.
pub struct ThreadTimes(HashMap<u64, u64>);

impl ThreadTimes {
    /// `None` off Linux.
    pub fn now() -> Option<ThreadTimes> {
        let mut times = HashMap::new();
        for entry in std::fs::read_dir("/proc/self/task").ok()? {
            let Ok(entry) = entry else { continue };
            let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            // A thread that ended since the listing is skipped.
            if let Some(ns) = schedstat_ns(&entry.path().join("schedstat")) {
                times.insert(tid, ns);
            }
        }
        Some(ThreadTimes(times))
    }

    /// Milliseconds on a CPU since `earlier`: threads alive at both ends,
    /// and the whole time of threads started since; a thread that ended
    /// in between is missed.
    pub fn ms_since(&self, earlier: &ThreadTimes) -> f64 {
        let ns: u64 = self
            .0
            .iter()
            .map(|(tid, now)| now.saturating_sub(earlier.0.get(tid).copied().unwrap_or(0)))
            .sum();
        ns as f64 / 1e6
    }
}

/// Time on a CPU of the single-threaded process `pid` (a PostgreSQL
/// backend), in milliseconds; `None` off Linux or once it is gone.
pub fn backend_ms(pid: i32) -> Option<f64> {
    let ns = schedstat_ns(std::path::Path::new(&format!("/proc/{pid}/schedstat")))?;
    Some(ns as f64 / 1e6)
}

/// Time on a CPU of every PostgreSQL process on this machine (backends,
/// WAL writer, checkpointer), in milliseconds; `None` off Linux.
pub fn postgres_ms() -> Option<f64> {
    let mut ns = 0;
    for entry in std::fs::read_dir("/proc").ok()? {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        let is_postgres = std::fs::read_to_string(path.join("comm"))
            .is_ok_and(|comm| comm.trim_end() == "postgres");
        if is_postgres {
            // A process that ended since the listing is skipped.
            ns += schedstat_ns(&path.join("schedstat")).unwrap_or(0);
        }
    }
    Some(ns as f64 / 1e6)
}

/// The CPU counters at the start of a run, to read what the run spent.
pub struct Since {
    at: std::time::Instant,
    threads: Option<ThreadTimes>,
    postgres: Option<f64>,
    machine: Option<f64>,
}

/// What a run spent, in milliseconds: wall-clock time, this process's
/// threads, PostgreSQL's processes, and every CPU of the machine (0 for a
/// counter not readable here).
pub struct Spent {
    pub elapsed_ms: f64,
    pub process_ms: f64,
    pub database_ms: f64,
    pub machine_ms: f64,
}

impl Since {
    pub fn now() -> Self {
        Since {
            at: std::time::Instant::now(),
            threads: ThreadTimes::now(),
            postgres: postgres_ms(),
            machine: machine_busy_ms(),
        }
    }

    /// What was spent since [`now`](Self::now).
    pub fn spent(&self) -> Spent {
        let since = |before: Option<f64>, after: Option<f64>| {
            before
                .zip(after)
                .map_or(0.0, |(before, after)| after - before)
        };
        Spent {
            elapsed_ms: self.at.elapsed().as_secs_f64() * 1e3,
            process_ms: self
                .threads
                .as_ref()
                .zip(ThreadTimes::now())
                .map_or(0.0, |(before, after)| after.ms_since(before)),
            database_ms: since(self.postgres, postgres_ms()),
            machine_ms: since(self.machine, machine_busy_ms()),
        }
    }
}

/// How many CPUs this process may run on.
pub fn count() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Time all CPUs of this machine spent busy (every process and the
/// kernel: not idle, not waiting for the disk), in milliseconds, from the
/// first line of `/proc/stat` (in USER_HZ ticks, 100 a second on Linux);
/// `None` off Linux.
pub fn machine_busy_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|field| field.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is
    // already in user).
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(field, _)| !matches!(field, 3 | 4))
        .map(|(_, ticks)| ticks)
        .sum();
    Some(busy as f64 * 10.0)
}

/// The first field of a `schedstat` file: nanoseconds on a CPU.
fn schedstat_ns(path: &std::path::Path) -> Option<u64> {
    let schedstat = std::fs::read_to_string(path).ok()?;
    schedstat.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_are_read_on_linux() {
        if cfg!(target_os = "linux") {
            let before = ThreadTimes::now().expect("this process's threads");
            let spin = std::time::Instant::now();
            while spin.elapsed() < std::time::Duration::from_millis(20) {
                std::hint::black_box(0);
            }
            let after = ThreadTimes::now().expect("this process's threads");
            assert!(after.ms_since(&before) > 0.0);
            assert!(backend_ms(std::process::id() as i32).is_some());
            assert!(machine_busy_ms().expect("/proc/stat") > 0.0);
        }
    }
}
