//! The bench's knobs, from the environment (bench/durable.sh lists them).

use std::time::Duration;

use atode::durable::{DEFAULT_CONCURRENCY, DEFAULT_FETCH_COOLDOWN, DEFAULT_POLL_INTERVAL, Durable};
use riverqueue::{ClientBuilder, QueueConfig};

use crate::backend::BoxError;

/// The sections, in the order they run; `SECTIONS` picks some.
pub const SECTIONS: [&str; 5] = ["enqueue", "process", "latency", "completed", "idle"];

/// How workers look for calls: atode's defaults, or a poll interval set
/// with `Durable::poll_interval`; River used directly gets the same queue
/// settings, so both fetch alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// atode's: `DEFAULT_FETCH_COOLDOWN` and `DEFAULT_POLL_INTERVAL`, read
    /// from atode so that the bench follows when they change.
    Default,
    /// `Durable::poll_interval(d)`: a poll every `d`, fetches at most every
    /// `min(d, DEFAULT_FETCH_COOLDOWN)`.
    Every(Duration),
}

impl Fetch {
    pub fn durable(self, durable: Durable) -> Durable {
        match self {
            Fetch::Default => durable,
            Fetch::Every(interval) => durable.poll_interval(interval),
        }
    }

    /// The poll interval atode sets for this setting.
    pub fn interval(self) -> Duration {
        match self {
            Fetch::Default => DEFAULT_POLL_INTERVAL,
            Fetch::Every(interval) => interval,
        }
    }

    /// The fetch cooldown atode sets, which `Durable::poll_interval` never raises.
    pub fn cooldown(self) -> Duration {
        self.interval().min(DEFAULT_FETCH_COOLDOWN)
    }

    /// What atode sets on its River client for this setting
    /// (`Durable::connect` in runtime/src/durable/queue.rs): the client's
    /// cooldown, which is also how long River skips insert notifications
    /// after one, and each queue's cooldown and poll interval.
    pub fn river(self, builder: ClientBuilder, name: &str, concurrency: usize) -> ClientBuilder {
        let config = QueueConfig::new(concurrency)
            .with_fetch_cooldown(self.cooldown())
            .with_fetch_poll_interval(self.interval());
        builder.fetch_cooldown(self.cooldown()).queue(name, config)
    }

    pub fn label(self) -> String {
        match self {
            Fetch::Default => format!(
                "default ({DEFAULT_FETCH_COOLDOWN:?} cooldown, {DEFAULT_POLL_INTERVAL:?} poll)"
            ),
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

/// Workers per queue: atode's `DEFAULT_CONCURRENCY` (no `Durable::queue`
/// call, so the default really is what runs), or a number set on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concurrency {
    Default,
    Set(usize),
}

impl Concurrency {
    pub fn durable(self, durable: Durable) -> Durable {
        match self {
            Concurrency::Default => durable,
            Concurrency::Set(n) => durable.queue("default", n),
        }
    }

    pub fn count(self) -> usize {
        match self {
            Concurrency::Default => DEFAULT_CONCURRENCY,
            Concurrency::Set(n) => n,
        }
    }

    pub fn label(self) -> String {
        match self {
            Concurrency::Default => format!("atode's default of {DEFAULT_CONCURRENCY}"),
            Concurrency::Set(n) => n.to_string(),
        }
    }

    fn parse(text: &str) -> Result<Concurrency, BoxError> {
        if text == "default" {
            return Ok(Concurrency::Default);
        }
        match text.parse() {
            Ok(n) if (1..=10_000).contains(&n) => Ok(Concurrency::Set(n)),
            _ => Err(format!("CONCURRENCY={text:?}: expected `default` or 1..10000").into()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub backends: Vec<String>,
    pub sections: Vec<String>,
    pub rounds: u32,
    pub seconds: u64,
    /// wrk's connections for the group-commit curve.
    pub curve: Vec<u32>,
    /// The direct callers, and wrk's connections with the workers running.
    pub connections: u32,
    pub concurrency: Concurrency,
    pub postgres_jobs: u64,
    pub sqlite_jobs: u64,
    pub process_fetch: Vec<Fetch>,
    pub latency_fetch: Vec<Fetch>,
    pub rate: f64,
    pub latency_seconds: u64,
    pub idle_seconds: u64,
    pub postgres_admin: String,
    pub postgres_database: String,
    pub river_known_kinds: bool,
}

impl Settings {
    pub fn from_env() -> Result<Settings, BoxError> {
        let settings = Settings {
            backends: list("BACKENDS", "sqlite,postgres"),
            sections: list("SECTIONS", &SECTIONS.join(",")),
            rounds: number("ROUNDS", 3)?,
            seconds: number("SECONDS_PER_RUN", 3)?,
            curve: list("CURVE", "1,8,32,128")
                .iter()
                .map(|text| {
                    text.parse()
                        .map_err(|_| format!("CURVE: {text:?} is not a number").into())
                })
                .collect::<Result<_, BoxError>>()?,
            connections: number("CONNECTIONS", 32)?,
            concurrency: Concurrency::parse(&text("CONCURRENCY", "default"))?,
            postgres_jobs: number("JOBS", 10_000)?,
            sqlite_jobs: number("SQLITE_JOBS", 10_000)?,
            process_fetch: fetches("PROCESS_FETCH", "default")?,
            latency_fetch: fetches("LATENCY_FETCH", "default")?,
            rate: number("RATE", 50.0)?,
            latency_seconds: number("LATENCY_SECONDS", 5)?,
            idle_seconds: number("IDLE_SECONDS", 10)?,
            postgres_admin: text("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test"),
            postgres_database: text("BENCH_PG_DATABASE", "atode_bench"),
            river_known_kinds: text("RIVER_KNOWN_KINDS", "0") == "1",
        };
        if let Some(unknown) = settings
            .sections
            .iter()
            .find(|s| !SECTIONS.contains(&s.as_str()))
        {
            return Err(
                format!("SECTIONS: unknown section {unknown:?}; known: {SECTIONS:?}").into(),
            );
        }
        // Bounded: every measurement takes seconds, not minutes.
        let bounded = (1..=20).contains(&settings.rounds)
            && (1..=60).contains(&settings.seconds)
            && settings.curve.iter().all(|c| (1..=1024).contains(c))
            && (1..=1024).contains(&settings.connections)
            && (1..=1_000_000).contains(&settings.postgres_jobs)
            && (1..=1_000_000).contains(&settings.sqlite_jobs)
            && settings.rate > 0.0
            && settings.rate <= 5_000.0
            && (1..=60).contains(&settings.latency_seconds)
            && (1..=120).contains(&settings.idle_seconds);
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

    pub fn wants(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s == section)
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

fn fetches(name: &str, default: &str) -> Result<Vec<Fetch>, BoxError> {
    list(name, default)
        .iter()
        .map(|text| Fetch::parse(text).map_err(|error| format!("{name}: {error}").into()))
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
