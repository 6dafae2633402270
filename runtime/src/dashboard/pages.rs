//! The HTML pages: the overview, the list of calls, and one call. Each is
//! rendered whole on the server, so it reads the same without JavaScript.

use std::fmt::Write;
use std::sync::Arc;

use http::StatusCode;

use super::api::{CallDetail, CallList, call_id};
use super::html::{escape, html_response, page};
use super::overview::{self, Overview, STATES};
use super::routes::{CALL, CALLS, OVERVIEW};
use super::{base, query, queue_of};
use crate::Body;
use crate::durable::DurableError;
use crate::extract::RequestParts;
use crate::response::ResponseBody;
use crate::routing::HandlerFuture;

pub(super) fn overview(parts: RequestParts, _body: Body) -> HandlerFuture {
    let app = Arc::clone(parts.shared());
    let base = base(&parts, OVERVIEW).trim_end_matches('/');
    Box::pin(async move {
        match overview::read(&app).await {
            Ok(overview) => page(base, "Overview", &render_overview(base, &overview)),
            Err(error) => unavailable(&error),
        }
    })
}

fn render_overview(base: &str, overview: &Overview) -> String {
    let mut html = String::new();
    if let Some(durable) = &overview.durable {
        html.push_str("<h2>Durable calls</h2><div class=\"cards\">");
        for state in STATES {
            let calls = durable.states.get(state).copied().unwrap_or(0);
            let _ = write!(
                html,
                r#"<a class="card" href="{base}/calls?state={state}"><b data-count="durable.states.{state}" id="count-{state}">{calls}</b><span>{state}</span></a>"#,
                base = escape(base),
            );
        }
        let _ = write!(
            html,
            r#"</div><p>Last {minutes} minutes: <b data-count="durable.completed_recently">{completed}</b> completed, <b data-count="durable.discarded_recently">{discarded}</b> discarded; <b data-count="durable.throughput_per_minute">{throughput:.2}</b> per minute, failure rate <b data-count="durable.failure_rate">{rate:.2}</b>.</p>"#,
            minutes = durable.recent_minutes,
            completed = durable.completed_recently,
            discarded = durable.discarded_recently,
            throughput = durable.throughput_per_minute,
            rate = durable.failure_rate,
        );
        html.push_str("<h2>By queue</h2><div class=\"scroll\"><table><tr><th>queue</th>");
        for state in STATES {
            let _ = write!(html, "<th class=\"n\">{state}</th>");
        }
        html.push_str("</tr>");
        for (queue, states) in &durable.queues {
            let _ = write!(html, "<tr><td>{}</td>", escape(queue));
            for state in STATES {
                let calls = states.get(state).copied().unwrap_or(0);
                let _ = write!(
                    html,
                    r#"<td class="n" data-count="durable.queues.{queue}.{state}">{calls}</td>"#,
                    queue = escape(queue),
                );
            }
            html.push_str("</tr>");
        }
        html.push_str("</table></div>");
    } else {
        html.push_str("<p class=\"muted\">The app has no durable queue.</p>");
    }
    let counts = &overview.in_process;
    html.push_str("<h2>In-process tasks</h2><div class=\"cards\">");
    for (name, count) in [
        ("pending", counts.pending),
        ("completed", counts.completed),
        ("failed", counts.failed),
        ("panicked", counts.panicked),
        ("timed_out", counts.timed_out),
        ("discarded", counts.discarded),
        ("abandoned", counts.abandoned),
        ("refused", counts.refused),
    ] {
        let _ = write!(
            html,
            r#"<div class="card"><b data-count="in_process.{name}">{count}</b><span>{name}</span></div>"#
        );
    }
    let _ = write!(
        html,
        r#"</div><p>Last {minutes} minutes: <b data-count="in_process.completed_recently">{completed}</b> completed, <b data-count="in_process.failed_recently">{failed}</b> failed; <b data-count="in_process.throughput_per_minute">{throughput:.2}</b> per minute, failure rate <b data-count="in_process.failure_rate">{rate:.2}</b>.</p>"#,
        minutes = counts.recent_minutes,
        completed = counts.completed_recently,
        failed = counts.failed_recently,
        throughput = counts.throughput_per_minute,
        rate = counts.failure_rate,
    );
    let outcomes = ["completed", "failed", "panicked", "timed out"];
    let tasks = counts.tasks.iter().map(|task| {
        let counts = [task.completed, task.failed, task.panicked, task.timed_out];
        (task.task, counts.to_vec())
    });
    live_table(
        &mut html,
        "By task",
        Some("in_process.tasks"),
        ("task", &outcomes),
        tasks,
    );
    let handlers = counts.handlers.iter().map(|handler| {
        let counts = [
            handler.completed,
            handler.failed,
            handler.panicked,
            handler.timed_out,
        ];
        (handler.handler, counts.to_vec())
    });
    let by_handler = ("handler (its route's function)", &outcomes[..]);
    let path = Some("in_process.handlers");
    live_table(&mut html, "By handler", path, by_handler, handlers);
    let routes = counts.routes.iter().map(|route| {
        let name = if route.route.is_empty() {
            "(no route)"
        } else {
            route.route
        };
        (name, vec![route.requests, route.errors])
    });
    // Not live: the dashboard's own pages and events add routes as it is
    // used, which would read the page again and again.
    let by_route = ("route", &["requests", "5xx"][..]);
    live_table(&mut html, "By route", None, by_route, routes);
    html
}

/// A table of counts. With a `path`, the events keep it up to date: the
/// cell of row `i` and column `j` shows `{path}.{i}.{key j}` of each
/// overview the page hears, and a row appearing (a new task or handler)
/// reads the page again, which the script tells by the table's
/// `data-rows` and `data-length`.
fn live_table(
    html: &mut String,
    title: &str,
    path: Option<&str>,
    (first, columns): (&str, &[&str]),
    rows: impl ExactSizeIterator<Item = (&'static str, Vec<u64>)>,
) {
    let _ = write!(html, r#"<h2>{title}</h2><div class="scroll"><table"#);
    if let Some(path) = path {
        let _ = write!(html, r#" data-rows="{path}" data-length="{}""#, rows.len());
    }
    let _ = write!(html, "><tr><th>{first}</th>");
    for column in columns {
        let _ = write!(html, r#"<th class="n">{column}</th>"#);
    }
    html.push_str("</tr>");
    for (i, (name, counts)) in rows.enumerate() {
        let _ = write!(html, "<tr><td>{}</td>", escape(name));
        for (column, count) in columns.iter().zip(counts) {
            // The overview's keys: `timed_out` for "timed out", `errors` for "5xx".
            let key = match *column {
                "timed out" => "timed_out",
                "5xx" => "errors",
                other => other,
            };
            match path {
                Some(path) => {
                    let _ = write!(
                        html,
                        r#"<td class="n" data-count="{path}.{i}.{key}">{count}</td>"#
                    );
                }
                None => {
                    let _ = write!(html, r#"<td class="n">{count}</td>"#);
                }
            }
        }
        html.push_str("</tr>");
    }
    html.push_str("</table></div>");
}

pub(super) fn calls(parts: RequestParts, _body: Body) -> HandlerFuture {
    let queue = match queue_of(&parts) {
        Ok(queue) => queue,
        Err(answer) => return answer,
    };
    let base = base(&parts, CALLS);
    let raw = parts.uri().query().map(str::to_owned);
    Box::pin(async move {
        let filter = match query::filter(raw.as_deref()) {
            Ok(filter) => filter,
            Err(problem) => {
                return html_response(StatusCode::BAD_REQUEST, escape(&problem));
            }
        };
        let list = match queue.list_calls(&filter).await {
            Ok(page) => CallList::of(page),
            Err(error) => return unavailable(&error),
        };
        let mut html = String::from("<h2>Durable calls</h2>");
        let _ = write!(
            html,
            r#"<form class="filters" method="get" action="{base}/calls"><label>state<select name="state"><option value="">any</option>"#,
            base = escape(base)
        );
        for state in STATES {
            let is = filter.states.iter().any(|s| s.as_str() == state);
            let _ = write!(
                html,
                r#"<option{}>{state}</option>"#,
                if is { " selected" } else { "" }
            );
        }
        let text = |value: &Option<String>| escape(value.as_deref().unwrap_or(""));
        let time = |value: Option<riverqueue::jiff::Timestamp>| {
            value
                .map(|t| t.strftime("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        let _ = write!(
            html,
            r#"</select></label><label>task<input name="task" value="{task}"></label><label>queue<input name="queue" value="{queue}"></label><label>created after (UTC)<input type="datetime-local" name="after" value="{after}"></label><label>created before (UTC)<input type="datetime-local" name="before" value="{before}"></label><button type="submit">Filter</button></form>"#,
            task = text(&filter.task),
            queue = text(&filter.queue),
            after = time(filter.created_after),
            before = time(filter.created_before),
        );
        html.push_str("<div class=\"scroll\"><table id=\"calls\"><tr><th>call</th><th>task</th><th>queue</th><th>state</th><th class=\"n\">attempt</th><th>created</th></tr>");
        for call in &list.calls {
            let id = call.status.id.to_string();
            let _ = write!(
                html,
                r#"<tr><td><a href="{base}/calls/{id}">{short}</a></td><td>{task}</td><td>{queue}</td><td class="state-{state}">{state}</td><td class="n">{attempt}/{max}</td><td>{created}</td></tr>"#,
                base = escape(base),
                short = &id[..8.min(id.len())],
                task = escape(&call.status.task),
                queue = escape(&call.queue),
                state = call.status.state,
                attempt = call.status.attempt,
                max = call.status.max_attempts,
                created = escape(&call.status.created_at),
            );
        }
        html.push_str("</table></div>");
        if list.calls.is_empty() {
            html.push_str("<p class=\"muted\">No call matches.</p>");
        }
        if let Some(next) = list.next_cursor {
            let rest = query::without_cursor(raw.as_deref());
            let _ = write!(
                html,
                r#"<p><a id="next" href="{base}/calls?{rest}{amp}cursor={next}">Older calls →</a></p>"#,
                base = escape(base),
                rest = escape(&rest),
                amp = if rest.is_empty() { "" } else { "&amp;" },
            );
        }
        page(base, "Durable calls", &html)
    })
}

pub(super) fn call(parts: RequestParts, _body: Body) -> HandlerFuture {
    let queue = match queue_of(&parts) {
        Ok(queue) => queue,
        Err(answer) => return answer,
    };
    let base = base(&parts, CALL);
    let id = call_id(&parts);
    let notice = parts.uri().query().and_then(notice);
    Box::pin(async move {
        let found = match id {
            Some(id) => match queue.call_row(id).await {
                Ok(found) => found.map(|call| CallDetail::of(&queue, id, call)),
                Err(error) => return unavailable(&error),
            },
            None => None,
        };
        let Some(call) = found else {
            let mut response = page(base, "Unknown call", "<p>No call has this id.</p>");
            *response.status_mut() = StatusCode::NOT_FOUND;
            return response;
        };
        page(
            base,
            &call.status.task.clone(),
            &render_call(base, &call, notice),
        )
    })
}

/// What an action posted by a form did (`?retry=200`), for the call's page.
fn notice(query: &str) -> Option<(&'static str, bool)> {
    query.split('&').find_map(|pair| {
        let (action, code) = pair.split_once('=')?;
        let action = ["retry", "cancel", "discard"]
            .into_iter()
            .find(|known| *known == action)?;
        Some((action, code == "200"))
    })
}

fn render_call(base: &str, call: &CallDetail, notice: Option<(&str, bool)>) -> String {
    let status = &call.status;
    let id = status.id.to_string();
    let mut html = String::new();
    let (text, class, hidden) = match notice {
        Some((action, true)) => (format!("{action}: done"), "notice", ""),
        Some((action, false)) => (
            format!("{action}: refused in this state"),
            "notice refused",
            "",
        ),
        None => (String::new(), "notice", " hidden"),
    };
    let _ = write!(
        html,
        r#"<p id="notice" class="{class}"{hidden}>{text}</p><h2>{task} <span class="muted">{id}</span></h2>"#,
        text = escape(&text),
        task = escape(&status.task),
    );
    let not_recorded = "<span class=\"muted\">not recorded</span>".to_owned();
    let or_not = |value: &Option<String>| value.as_deref().map_or(not_recorded.clone(), escape);
    let _ = write!(
        html,
        r#"<div class="scroll"><table>
<tr><th>state</th><td id="state" class="state-{state}">{state}</td></tr>
<tr><th>queue</th><td>{queue}</td></tr>
<tr><th>attempts</th><td>{attempt} of {max}</td></tr>
<tr><th>created</th><td>{created}</td></tr>
<tr><th>scheduled</th><td>{scheduled}</td></tr>
<tr><th>last attempt</th><td>{attempted}</td></tr>
<tr><th>finished</th><td>{finalized}</td></tr>
<tr><th>queued by route</th><td>{route}</td></tr>
<tr><th>trace id</th><td>{trace_id}</td></tr>
</table></div>"#,
        state = status.state,
        queue = escape(&call.queue),
        attempt = status.attempt,
        max = status.max_attempts,
        created = escape(&status.created_at),
        scheduled = escape(&status.scheduled_at),
        attempted = or_not(&call.attempted_at),
        finalized = or_not(&status.finalized_at),
        route = or_not(&call.queued_by.route),
        trace_id = or_not(&call.queued_by.trace_id),
    );
    html.push_str("<h2>Actions</h2><div class=\"actions\">");
    for (action, label) in [
        ("retry", "Retry now"),
        ("cancel", "Cancel"),
        ("discard", "Discard"),
    ] {
        let _ = write!(
            html,
            r#"<form method="post" action="{base}/api/calls/{id}/{action}" data-action="{action}"><button type="submit" id="{action}">{label}</button></form>"#,
            base = escape(base),
        );
    }
    html.push_str("</div><p class=\"muted\">Cancelling a running regular <code>fn</code> marks the call cancelled: the function runs to its end on its thread, and its result is ignored.</p>");
    let args = serde_json::to_string_pretty(&call.args).unwrap_or_default();
    let _ = write!(
        html,
        "<h2>Arguments</h2><pre id=\"args\">{}</pre>",
        escape(&args)
    );
    html.push_str("<h2>Attempts' errors</h2>");
    if call.errors.is_empty() {
        html.push_str("<p class=\"muted\">None.</p>");
    } else {
        html.push_str("<div class=\"scroll\"><table><tr><th class=\"n\">attempt</th><th>at</th><th>error</th></tr>");
        for error in &call.errors {
            let _ = write!(
                html,
                "<tr><td class=\"n\">{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
                error.attempt,
                escape(&error.at),
                escape(&error.error)
            );
        }
        html.push_str("</table></div>");
    }
    html
}

fn unavailable(error: &DurableError) -> http::Response<ResponseBody> {
    tracing::warn!(target: "atode::dashboard", %error, "the durable queue could not be read");
    html_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "<p>The durable queue could not be read.</p>".to_owned(),
    )
}
