//! The calls' filters, as a page's form and the JSON API spell them in the
//! query string: `state`, `queue`, `task`, `after`, `before` (times),
//! `cursor` and `limit`.

use riverqueue::jiff::{Timestamp, civil::DateTime, tz::TimeZone};

use crate::durable::TaskState;
use crate::durable::calls::CallFilter;
use crate::extract::decode::form_decode;

/// Calls on a page when the request does not say.
pub(super) const PAGE_SIZE: u32 = 50;

/// The filter a query string asks for, or what is wrong with it.
pub(super) fn filter(query: Option<&str>) -> Result<CallFilter, String> {
    let mut filter = CallFilter {
        limit: PAGE_SIZE,
        ..CallFilter::default()
    };
    for pair in query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = form_decode(value).ok_or_else(|| format!("`{key}` is not UTF-8"))?;
        let value = value.trim();
        if value.is_empty() {
            // An empty field of the page's form: no filter.
            continue;
        }
        match key {
            "state" => filter.states.push(state(value)?),
            "queue" => filter.queue = Some(value.to_owned()),
            "task" => filter.task = Some(value.to_owned()),
            "after" => filter.created_after = Some(time(key, value)?),
            "before" => filter.created_before = Some(time(key, value)?),
            "cursor" => {
                let cursor = value.parse().map_err(|_| "`cursor` is not a number")?;
                filter.before = Some(cursor);
            }
            "limit" => {
                let limit: u32 = value.parse().map_err(|_| "`limit` is not a number")?;
                filter.limit = limit.clamp(1, 500);
            }
            _ => {}
        }
    }
    Ok(filter)
}

/// The query string of `filter` without its cursor, for the next page's
/// link and the form's values.
pub(super) fn without_cursor(query: Option<&str>) -> String {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("cursor="))
        .collect::<Vec<_>>()
        .join("&")
}

fn state(value: &str) -> Result<TaskState, String> {
    use TaskState::*;
    [
        Queued, Scheduled, Running, Retrying, Completed, Discarded, Cancelled,
    ]
    .into_iter()
    .find(|state| state.as_str() == value)
    .ok_or_else(|| format!("`state` is none of queued, scheduled, running, retrying, completed, discarded, cancelled: {value:?}"))
}

/// An RFC 3339 time, or a time without an offset (what a browser's
/// `datetime-local` field sends), read as UTC.
fn time(key: &str, value: &str) -> Result<Timestamp, String> {
    if let Ok(time) = value.parse::<Timestamp>() {
        return Ok(time);
    }
    value
        .parse::<DateTime>()
        .ok()
        .and_then(|civil| civil.to_zoned(TimeZone::UTC).ok())
        .map(|zoned| zoned.timestamp())
        .ok_or_else(|| format!("`{key}` is not a time (RFC 3339, or `2026-12-07T10:00` in UTC)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_read_into_a_filter() {
        let filter = filter(Some(
            "state=retrying&state=queued&task=send%20mail&queue=&after=2026-12-07T10:00&cursor=42",
        ))
        .expect("a valid query");
        assert_eq!(filter.states, [TaskState::Retrying, TaskState::Queued]);
        assert_eq!(filter.task.as_deref(), Some("send mail"));
        assert_eq!(filter.queue, None);
        assert_eq!(
            filter.created_after.map(|time| time.to_string()).as_deref(),
            Some("2026-12-07T10:00:00Z")
        );
        assert_eq!(filter.before, Some(42));
        assert!(super::filter(Some("state=lost")).is_err());
        assert_eq!(without_cursor(Some("task=a&cursor=5")), "task=a");
    }
}
