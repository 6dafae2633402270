//! The durations `timeout` and `unique_for` take, written as in config
//! files: `"250ms"`, `"30s"`, `"5m"`, `"1h"`, `"2d"`, or several units from
//! the largest down, `"1h30m"`. Read at compile time, so a typo is an error
//! and not a task that times out at once.

/// The units, largest first, in milliseconds. In a duration each appears at
/// most once, in this order, so `"1h30m"` has one spelling.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// How a duration is written, for the `help:` under every mistake.
pub(crate) const FORMAT: &str = "a duration is a whole number and a unit (`ms`, `s`, `m`, `h` or `d`), or several of them from the largest unit down: `\"30s\"`, `\"1h30m\"`";

/// `text` in milliseconds, or what is wrong with it.
pub(crate) fn parse(text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err("the duration is empty".to_owned());
    }
    let mut total: u64 = 0;
    // The index in `UNITS` of the last unit read: the next must be smaller.
    let mut last_unit: Option<usize> = None;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (number, after) = rest.split_at(digits);
        let letters = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, after) = after.split_at(letters);
        if number.is_empty() || unit.is_empty() {
            return Err(malformed(text, number, unit, after));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(unknown_unit(unit, text));
        };
        if last_unit.is_some_and(|last| index <= last) {
            return Err(format!(
                "`{text}` repeats a unit or puts a smaller one before a larger: write each unit once, from the largest down, as in `1h30m`"
            ));
        }
        last_unit = Some(index);
        let value = number
            .parse::<u64>()
            .ok()
            .and_then(|number| number.checked_mul(UNITS[index].1))
            .and_then(|millis| total.checked_add(millis));
        total = value.ok_or_else(|| format!("`{text}` is too long to count in milliseconds"))?;
        rest = after;
    }
    if total == 0 {
        return Err(format!(
            "`{text}` is no time at all: a duration must be longer than zero"
        ));
    }
    Ok(total)
}

/// What is wrong where a number and its unit should be: `number` and
/// `unit` are what was read there (one is empty), `after` what follows.
fn malformed(text: &str, number: &str, unit: &str, after: &str) -> String {
    if number.is_empty() && !unit.is_empty() {
        return format!("`{unit}` in `{text}` has no number before it");
    }
    match after.chars().next() {
        Some('.' | ',') => format!(
            "`{text}` has a fraction: write whole numbers, in a smaller unit (`90m` rather than `1.5h`)"
        ),
        Some(c) if c.is_whitespace() => {
            format!(
                "`{text}` has a space in it: write each number and unit together, as in `1h30m`"
            )
        }
        Some(c) if number.is_empty() => format!("`{text}` has `{c}` where a number should be"),
        Some(c) => format!("`{text}` has `{c}` where a unit should be"),
        None => format!(
            "`{number}` has no unit: write `{number}s` for seconds, or `{number}ms`, `{number}m`, `{number}h`, `{number}d`"
        ),
    }
}

/// The message for a unit that is not one of `UNITS`, naming the one meant
/// when it is a longer spelling (`sec`, `mins`, `hours`).
fn unknown_unit(unit: &str, text: &str) -> String {
    let lower = unit.to_ascii_lowercase();
    let meant = match lower.as_str() {
        // `"30S"`: units are lowercase.
        "ms" | "s" | "m" | "h" | "d" => Some(lower.as_str()),
        "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => Some("ms"),
        "sec" | "secs" | "second" | "seconds" => Some("s"),
        "min" | "mins" | "minute" | "minutes" => Some("m"),
        "hr" | "hrs" | "hour" | "hours" => Some("h"),
        "day" | "days" => Some("d"),
        _ => None,
    };
    match meant {
        Some(meant) => format!("unknown unit `{unit}` in `{text}`: did you mean `{meant}`?"),
        None => format!("unknown unit `{unit}` in `{text}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_unit() {
        assert_eq!(parse("250ms"), Ok(250));
        assert_eq!(parse("30s"), Ok(30_000));
        assert_eq!(parse("5m"), Ok(300_000));
        assert_eq!(parse("1h"), Ok(3_600_000));
        assert_eq!(parse("2d"), Ok(172_800_000));
    }

    #[test]
    fn reads_units_from_the_largest_down() {
        assert_eq!(parse("1h30m"), Ok(5_400_000));
        assert_eq!(parse("1d2h3m4s5ms"), Ok(93_784_005));
        // A larger number than its unit holds is fine: `90m` is not `1h30m`'s typo.
        assert_eq!(parse("90m"), Ok(5_400_000));
    }

    #[test]
    fn refuses_units_out_of_order_or_repeated() {
        assert!(
            parse("30m1h")
                .unwrap_err()
                .contains("from the largest down")
        );
        assert!(parse("1s1s").unwrap_err().contains("each unit once"));
        assert!(parse("1ms1s").is_err());
    }

    #[test]
    fn names_what_is_wrong() {
        let error = |text| parse(text).unwrap_err();
        assert_eq!(error("30x"), "unknown unit `x` in `30x`");
        assert!(error("30").starts_with("`30` has no unit: write `30s`"));
        assert!(error("").contains("empty"));
        assert!(error("s").contains("no number before it"));
        assert!(error("1h 30m").contains("space"));
        assert!(error("30 s").contains("space"));
        assert!(error("1.5h").contains("fraction"));
        assert!(error(".5h").contains("fraction"));
        assert!(error("-1s").contains("`-` where a number should be"));
        assert!(error("5s!").contains("`!` where a number should be"));
        assert!(error("5_s").contains("`_` where a unit should be"));
    }

    #[test]
    fn suggests_the_unit_meant() {
        assert!(parse("30sec").unwrap_err().contains("did you mean `s`?"));
        assert!(parse("5mins").unwrap_err().contains("did you mean `m`?"));
        assert!(parse("1hour").unwrap_err().contains("did you mean `h`?"));
        assert!(parse("2days").unwrap_err().contains("did you mean `d`?"));
        assert!(
            parse("100millis")
                .unwrap_err()
                .contains("did you mean `ms`?")
        );
    }

    #[test]
    fn refuses_zero_and_overflow() {
        assert!(parse("0s").unwrap_err().contains("longer than zero"));
        assert!(parse("0h0m").unwrap_err().contains("longer than zero"));
        assert!(
            parse("99999999999999999999s")
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            parse("18446744073709551615d")
                .unwrap_err()
                .contains("too long")
        );
    }
}
