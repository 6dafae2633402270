//! Durations from configuration, made safe to add to a clock: any
//! `Duration` an app sets (up to `Duration::MAX`) saturates instead of
//! overflowing an `Instant`, and a duration read from the environment is
//! checked before anything is served.

use std::time::{Duration, Instant, SystemTime};

/// The longest wait any timer of atode's is armed for: a hundred years, so
/// that a deadline set to `Duration::MAX` means "never" without overflowing
/// the clock it is added to (an `Instant`, a `SystemTime`, River's dates).
pub(crate) const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// `duration`, at most [`LONGEST`].
pub(crate) fn bounded(duration: Duration) -> Duration {
    duration.min(LONGEST)
}

/// `from + duration`, saturating at `from +` [`LONGEST`].
pub(crate) fn after(from: Instant, duration: Duration) -> Instant {
    from + bounded(duration)
}

/// [`after`] on tokio's clock.
pub(crate) fn after_tokio(from: tokio::time::Instant, duration: Duration) -> tokio::time::Instant {
    from + bounded(duration)
}

/// [`after`] on the wall clock.
#[cfg_attr(not(feature = "durable"), allow(dead_code))]
pub(crate) fn after_system(from: SystemTime, duration: Duration) -> SystemTime {
    from + bounded(duration)
}

/// The seconds (`30`, `0.5`) in the environment variable `var`, if it is
/// set. A value that is not a finite, non-negative number is an error that
/// names the variable, so a typo stops the program at start-up rather than
/// changing what it does unseen.
pub(crate) fn seconds_from_env(var: &str) -> std::io::Result<Option<Duration>> {
    match std::env::var(var) {
        Ok(text) => parse_seconds(var, &text).map(Some),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(text)) => Err(invalid(var, &format!("{text:?}"))),
    }
}

fn parse_seconds(var: &str, text: &str) -> std::io::Result<Duration> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        // Finite but past `Duration::MAX`: as long as a wait can be.
        .map(|seconds| bounded(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)))
        .ok_or_else(|| invalid(var, &format!("{text:?}")))
}

fn invalid(var: &str, text: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{var} must be a number of seconds, such as 30 or 0.5, not {text}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_durations_saturate_instead_of_overflowing() {
        let now = Instant::now();
        assert_eq!(after(now, Duration::MAX), now + LONGEST);
        assert_eq!(
            after(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        let wall = SystemTime::UNIX_EPOCH;
        assert_eq!(after_system(wall, Duration::MAX), wall + LONGEST);
    }

    #[test]
    fn seconds_are_finite_non_negative_numbers() {
        assert_eq!(parse_seconds("V", " 30 ").unwrap(), Duration::from_secs(30));
        assert_eq!(
            parse_seconds("V", "0.5").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_seconds("V", "1e300").unwrap(), LONGEST);
        for bad in ["inf", "NaN", "-1", "", "ten", "30s"] {
            let error = parse_seconds("ATODE_X", bad).unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with("ATODE_X must be a number of seconds"),
                "{bad}: {error}"
            );
        }
    }
}
