//! The lines that say where the figures come from: the machine, the build,
//! the load, how rounds are summed up.

use crate::settings::Settings;

pub fn print(settings: &Settings) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cpus = crate::cpu::count();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let build = if cfg!(debug_assertions) {
        "DEBUG build: figures are not representative"
    } else {
        "release build"
    };
    println!();
    println!(
        "Machine: {cpus} CPUs, {cpu}; {build}; server, workers and clients in one process \
         (tokio, {cpus} workers), wrk and the database beside it, not pinned."
    );
    println!(
        "{} round{}, alternating order; figures are medians over rounds, ratios are per round \
         (median, min–max). Load average at the end: {}.",
        settings.rounds,
        if settings.rounds == 1 { "" } else { "s" },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
