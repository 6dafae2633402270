//! The dashboard's routes, one per page, asset and API endpoint: routes of
//! the app's table, so the app's middleware and a router's guard stand
//! before each.

use crate::Body;
use crate::extract::RequestParts;
use crate::routing::{HandlerFuture, Methods, RouteDef, RouteDoc, RouteInfo};

use super::{actions, api, assets, events, pages};

type Handler = fn(RequestParts, Body) -> HandlerFuture;

/// Path suffixes (after the dashboard's path) and their handlers. The
/// handlers find the dashboard's path by taking their suffix off the
/// route's, so these are the one place each is written.
pub(super) const OVERVIEW: &str = "";
pub(super) const CALLS: &str = "/calls";
pub(super) const CALL: &str = "/calls/{id}";
pub(super) const STYLE: &str = "/assets/dashboard.css";
pub(super) const SCRIPT: &str = "/assets/dashboard.js";
pub(super) const API_OVERVIEW: &str = "/api/overview";
pub(super) const API_CALLS: &str = "/api/calls";
pub(super) const API_CALL: &str = "/api/calls/{id}";
pub(super) const API_EVENTS: &str = "/api/events";
pub(super) const RETRY: &str = "/api/calls/{id}/retry";
pub(super) const CANCEL: &str = "/api/calls/{id}/cancel";
pub(super) const DISCARD: &str = "/api/calls/{id}/discard";

/// The dashboard's routes under `path`, or what is wrong with `path`: a
/// plain path, without parameters (`/admin/tasks`).
pub(crate) fn routes(path: &str) -> Result<Vec<RouteDef>, String> {
    let plain = path.starts_with('/')
        && !path.contains(['{', '}', '<', '>', '*', '?', '#'])
        && !path.contains("//");
    if !plain {
        return Err(format!(
            "the task dashboard's path {path:?} is not a plain path: it starts with `/` and has no parameters"
        ));
    }
    let base = path.trim_end_matches('/');
    // The names are the operations' ids in the OpenAPI document.
    let page = |suffix, name, call| route(base, suffix, name, Methods::GET, call, None);
    let mut routes = vec![
        route(
            path,
            OVERVIEW,
            "dashboard_page",
            Methods::GET,
            pages::overview,
            None,
        ),
        page(CALLS, "dashboard_calls_page", pages::calls),
        page(CALL, "dashboard_call_page", pages::call),
        page(STYLE, "dashboard_style", assets::style),
        page(SCRIPT, "dashboard_script", assets::script),
        page(API_EVENTS, "dashboard_events", events::serve),
    ];
    let api = |suffix, name, methods, call, summary| {
        route(base, suffix, name, methods, call, Some(summary))
    };
    routes.extend([
        api(
            API_OVERVIEW,
            "dashboard_overview",
            Methods::GET,
            api::overview,
            "The task dashboard's overview",
        ),
        api(
            API_CALLS,
            "dashboard_calls",
            Methods::GET,
            api::calls,
            "A page of durable calls",
        ),
        api(
            API_CALL,
            "dashboard_call",
            Methods::GET,
            api::call,
            "One durable call",
        ),
        api(
            RETRY,
            "dashboard_retry_call",
            Methods::POST,
            actions::retry,
            "Retry a durable call now",
        ),
        api(
            CANCEL,
            "dashboard_cancel_call",
            Methods::POST,
            actions::cancel,
            "Cancel a durable call",
        ),
        api(
            DISCARD,
            "dashboard_discard_call",
            Methods::POST,
            actions::discard,
            "Discard a waiting durable call",
        ),
    ]);
    Ok(routes)
}

/// How the documented route at `suffix` describes itself.
#[cfg(feature = "openapi")]
fn describer(suffix: &str) -> fn(&mut crate::openapi::Operation<'_>) {
    match suffix {
        API_OVERVIEW => api::describe_overview,
        API_CALLS => api::describe_calls,
        API_CALL => api::describe_call,
        RETRY => actions::describe_retry,
        CANCEL => actions::describe_cancel,
        DISCARD => actions::describe_discard,
        _ => |_| {},
    }
}

/// One route, made once per app that turns the dashboard on: leaked, as
/// the routes a `Router` re-homes under its prefix are. An undocumented
/// one (a page, an asset) is left out of the OpenAPI document.
fn route(
    base: &str,
    suffix: &str,
    name: &'static str,
    methods: Methods,
    call: Handler,
    summary: Option<&'static str>,
) -> RouteDef {
    let path: &'static str = Box::leak(format!("{base}{suffix}").into_boxed_str());
    let doc = match summary {
        Some(summary) => RouteDoc {
            summary: Some(summary),
            tags: &["task dashboard"],
            ..RouteDoc::DEFAULT
        },
        None => RouteDoc {
            include_in_schema: false,
            ..RouteDoc::DEFAULT
        },
    };
    let info: &'static RouteInfo = Box::leak(Box::new(RouteInfo {
        name,
        methods,
        path,
        declared: path,
        body_limit: None,
        doc,
    }));
    RouteDef {
        info,
        call,
        requirements: |_| {},
        #[cfg(feature = "openapi")]
        describe: describer(suffix),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_path_is_plain_and_every_route_is_under_it() {
        assert!(super::routes("/admin/{who}").is_err());
        assert!(super::routes("admin").is_err());
        let routes = super::routes("/admin/tasks/").expect("a plain path");
        assert_eq!(routes.len(), 12);
        assert!(
            routes
                .iter()
                .all(|route| route.info().path.starts_with("/admin/tasks"))
        );
        assert!(routes.iter().all(|route| !route.info().path.contains("//")));
    }
}
