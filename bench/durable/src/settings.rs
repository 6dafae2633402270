//! The bench's knobs, from the environment (bench/durable.sh lists them).

use std::time::Duration;

use atode::durable::Durable;
use riverqueue::QueueConfig;

use crate::backend::BoxError;

/// How workers look for calls: atode's defaults, or a poll interval set
/// with `Durable::poll_interval`; River used directly gets the same queue
/// settings, so both fetch alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// atode's: a fetch at most every `DEFAULT_FETCH_COOLDOWN` (10 ms), a
    /// poll every `DEFAULT_POLL_INTERVAL` (250 ms) when no insert
    /// notification comes (PostgreSQL's LISTEN/NOTIFY; SQLite has none).
    Default,
    /// `Durable::poll_interval(d)`: a poll every `d`, fetches at most every
    /// `min(d, 10 ms)`.
    Every(Duration),
}

/// The fetch cooldown atode sets, which `Durable::poll_interval` never raises.
const FETCH_COOLDOWN: Duration = atode::durable::DEFAULT_FETCH_COOLDOWN;

impl Fetch {
    pub fn durable(self, durable: Durable) -> Durable {
        match self {
            Fetch::Default => durable,
            Fetch::Every(interval) => durable.poll_interval(interval),
        }
    }

    /// What `Durable::poll_interval` sets on each of atode's queues.
    pub fn river(self, config: QueueConfig) -> QueueConfig {
        let interval = match self {
            Fetch::Default => atode::durable::DEFAULT_POLL_INTERVAL,
            Fetch::Every(interval) => interval,
        };
        config
            .with_fetch_cooldown(interval.min(FETCH_COOLDOWN))
            .with_fetch_poll_interval(interval)
    }

    pub fn label(self) -> String {
        match self {
            Fetch::Default => "atode's default fetch: 10 ms cooldown, 250 ms poll".to_owned(),
            Fetch::Every(interval) => format!("poll_interval({interval:?})"),
        }
    }

    fn parse(text: &str) -> Result<Fetch, BoxError> {
        if text == "default" {
            return Ok(Fetch::Default);
        }
        let ms: u64 = text
            .strip_suffix("ms")
            .and_then(|ms| ms.parse().ok())
            .filter(|ms| (1..=10_000).contains(ms))
            .ok_or_else(|| format!("{text:?}: expected `default` or `<1..10000>ms`"))?;
        Ok(Fetch::Every(Duration::from_millis(ms)))
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub backends: Vec<String>,
    pub sections: Vec<String>,
    pub rounds: u32,
    pub seconds: u64,
    pub connections: u32,
    pub concurrency: usize,
    pub postgres_jobs: u64,
    pub sqlite_jobs: u64,
    pub process_fetch: Vec<Fetch>,
    pub latency_fetch: Vec<Fetch>,
    pub rate: f64,
    pub latency_seconds: u64,
    pub postgres_admin: String,
    pub postgres_database: String,
    pub river_known_kinds: bool,
}

impl Settings {
    pub fn from_env() -> Result<Settings, BoxError> {
        let settings = Settings {
            backends: list("BACKENDS", "sqlite,postgres"),
            sections: list("SECTIONS", "enqueue,process,latency"),
            rounds: number("ROUNDS", 3)?,
            seconds: number("SECONDS_PER_RUN", 3)?,
            connections: number("CONNECTIONS", 32)?,
            concurrency: number("CONCURRENCY", 32)?,
            postgres_jobs: number("JOBS", 10_000)?,
            sqlite_jobs: number("SQLITE_JOBS", 10_000)?,
            process_fetch: list("PROCESS_FETCH", "1ms")
                .iter()
                .map(|text| Fetch::parse(text))
                .collect::<Result<_, _>>()?,
            latency_fetch: list("LATENCY_FETCH", "default,50ms")
                .iter()
                .map(|text| Fetch::parse(text))
                .collect::<Result<_, _>>()?,
            rate: number("RATE", 50.0)?,
            latency_seconds: number("LATENCY_SECONDS", 5)?,
            postgres_admin: text("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test"),
            postgres_database: text("BENCH_PG_DATABASE", "atode_bench"),
            river_known_kinds: text("RIVER_KNOWN_KINDS", "0") == "1",
        };
        // Bounded: every measurement takes seconds, not minutes.
        let bounded = (1..=20).contains(&settings.rounds)
            && (1..=60).contains(&settings.seconds)
            && (1..=1024).contains(&settings.connections)
            && (1..=10_000).contains(&settings.concurrency)
            && (1..=1_000_000).contains(&settings.postgres_jobs)
            && (1..=1_000_000).contains(&settings.sqlite_jobs)
            && settings.rate > 0.0
            && settings.rate <= 5_000.0
            && (1..=60).contains(&settings.latency_seconds);
        if !bounded {
            return Err(format!("settings out of range: {settings:?}").into());
        }
        if !settings.postgres_admin.contains("127.0.0.1")
            && !settings.postgres_admin.contains("localhost")
        {
            return Err("BENCH_PG_URL must name a database on 127.0.0.1 or localhost".into());
        }
        Ok(settings)
    }
}

fn text(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn list(name: &str, default: &str) -> Vec<String> {
    text(name, default)
        .split(',')
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, BoxError> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value
            .parse()
            .map_err(|_| format!("{name}={value:?} is not a number").into()),
        _ => Ok(default),
    }
}
