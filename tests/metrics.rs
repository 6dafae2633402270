//! `App::metrics`, scraped over loopback from a real server: requests per
//! route template, method and status; in-process tasks per task and
//! outcome; durable attempts and the queue's depth on SQLite and on
//! PostgreSQL; a guard of the user's before the page; and series that a
//! client cannot multiply with paths or methods of its own making. The
//! page's format is checked against Prometheus' own parser by
//! `scripts/metrics_check.sh`; here each test reads the samples it needs.

mod common;
#[macro_use]
mod durable_support;

use std::collections::BTreeSet;

use atode::durable::task;
use atode::middleware::Next;
use atode::{App, BackgroundTasks, Body, Response, StatusCode, get, post, routes};
use common::{TestServer, request, within};
use durable_support::{TestDb, until};

on_every_backend!(
    durable_attempts_are_counted_per_task_and_outcome,
    the_queue_depth_is_read_from_the_database,
);

// ---------------------------------------------------------------- the app

#[get("/items/<id>")]
async fn item(id: u32) -> String {
    format!("item {id}")
}

#[get("/broken")]
async fn broken() -> Result<&'static str, StatusCode> {
    Err(StatusCode::CONFLICT)
}

fn ok_task() {}

fn failing_task() -> Result<(), String> {
    Err("no mail server".to_owned())
}

fn panicking_task() {
    panic!("a bug in a task");
}

#[post("/work")]
async fn work(tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(ok_task, ());
    tasks.add_task(ok_task, ());
    tasks.add_task(failing_task, ());
    tasks.add_task(panicking_task, ());
    "queued"
}

#[task]
async fn metered_greeting(name: String) {
    let _ = name;
}

#[task(max_attempts = 1)]
async fn metered_refusal(name: String) -> Result<(), String> {
    Err(format!("{name} is not welcome"))
}

#[post("/durable/<name>")]
async fn durable_work(name: String, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(metered_greeting, (name.clone(),));
    tasks.add_task(metered_refusal, (name,));
    "queued"
}

// ---------------------------------------------------------------- reading the page

/// The page's samples: each line that is not a comment, split into its
/// series (name and labels, as written) and its value.
struct Page(Vec<(String, f64)>);

impl Page {
    fn parse(text: &str) -> Page {
        assert!(
            text.ends_with("# EOF\n"),
            "an OpenMetrics page ends with `# EOF`: {text}"
        );
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
                let value = value
                    .parse()
                    .unwrap_or_else(|_| panic!("a number in {line:?}"));
                (series.to_owned(), value)
            })
            .collect();
        Page(samples)
    }

    /// The value of the series written exactly `series`, if it is there.
    fn get(&self, series: &str) -> Option<f64> {
        self.0
            .iter()
            .find(|(name, _)| name == series)
            .map(|(_, value)| *value)
    }

    fn value(&self, series: &str) -> f64 {
        self.get(series).unwrap_or_else(|| {
            let known: Vec<&str> = self.0.iter().map(|(name, _)| name.as_str()).collect();
            panic!("no series {series} on the page; it has {known:#?}")
        })
    }

    /// The series of the metric `name` (its samples' names start with it).
    fn series_of(&self, name: &str) -> BTreeSet<&str> {
        self.0
            .iter()
            .map(|(series, _)| series.as_str())
            .filter(|series| series.starts_with(name))
            .collect()
    }
}

async fn scrape(server: &TestServer) -> Page {
    let (status, headers, body) = server.http1().await.fetch(request("GET", "/metrics")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let content_type = headers[http::header::CONTENT_TYPE].to_str().unwrap();
    assert_eq!(content_type, atode::metrics::CONTENT_TYPE);
    Page::parse(&body)
}

fn duration_count(method: &str, route: &str, status: u16) -> String {
    format!(
        r#"http_server_request_duration_seconds_count{{method="{method}",route="{route}",status="{status}"}}"#
    )
}

// ---------------------------------------------------------------- requests

#[tokio::test]
async fn requests_are_counted_per_route_template_method_and_status() {
    let app = App::new().routes(routes![item, broken]).metrics("/metrics");
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;
    for id in [1, 2, 3] {
        let (status, _, _) = client.fetch(request("GET", &format!("/items/{id}"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    client.fetch(request("GET", "/broken")).await;
    client.fetch(request("GET", "/nowhere")).await;
    client.fetch(request("DELETE", "/items/1")).await;

    let page = scrape(&server).await;
    // Three paths, one route: one series, counted three times.
    assert_eq!(page.value(&duration_count("GET", "/items/{id}", 200)), 3.0);
    assert_eq!(page.value(&duration_count("GET", "/broken", 409)), 1.0);
    // No route answered: the route label is empty (Prometheus: no label).
    assert_eq!(page.value(&duration_count("GET", "", 404)), 1.0);
    assert_eq!(page.value(&duration_count("DELETE", "", 405)), 1.0);
    // The histogram's buckets are cumulative and end at +Inf with the count.
    let inf = r#"http_server_request_duration_seconds_bucket{le="+Inf",method="GET",route="/items/{id}",status="200"}"#;
    assert_eq!(page.value(inf), 3.0);
}

#[tokio::test]
async fn paths_and_methods_of_the_clients_making_add_no_series() {
    // What a client controls (the path, the method) must not grow what
    // the app keeps: the series are bounded by the routes, not the traffic.
    async fn series_after(requests: usize) -> usize {
        let app = App::new().routes(routes![item]).metrics("/metrics");
        let server = TestServer::start(app).await;
        let mut client = server.http1().await;
        for n in 0..requests {
            client.fetch(request("GET", &format!("/items/{n}"))).await;
            client.fetch(request("GET", &format!("/missing/{n}"))).await;
            let made_up = format!("VERB{n}");
            client
                .fetch(request(&made_up, &format!("/items/{n}")))
                .await;
        }
        let page = scrape(&server).await;
        let series = page.series_of("http_server_request_duration_seconds");
        assert!(
            series
                .iter()
                .any(|series| series.contains(r#"method="_OTHER""#)),
            "a made-up method is counted as _OTHER: {series:#?}"
        );
        series.len()
    }
    let (few, many) = within("two runs of requests", async {
        (series_after(10).await, series_after(40).await)
    })
    .await;
    assert_eq!(
        few, many,
        "the series grew with the number of distinct paths and methods"
    );
}

async fn operators_only(request: http::Request<Body>, next: Next) -> Result<Response, StatusCode> {
    match request.headers().get(http::header::AUTHORIZATION) {
        Some(token) if token == "Bearer ops" => Ok(next.run(request).await),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

#[tokio::test]
async fn a_guard_stands_before_the_page_alone() {
    let app = App::new()
        .routes(routes![item])
        .metrics_with("/metrics", |router| router.middleware(operators_only));
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;
    let (status, _, _) = client.fetch(request("GET", "/items/1")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the guard is the page's, not the app's"
    );
    let (status, _, _) = client.fetch(request("GET", "/metrics")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mut authorized = request("GET", "/metrics");
    authorized
        .headers_mut()
        .insert(http::header::AUTHORIZATION, "Bearer ops".parse().unwrap());
    let (status, _, body) = client.fetch(authorized).await;
    assert_eq!(status, StatusCode::OK);
    let page = Page::parse(&body);
    // The refused scrape is named by the route its guard stood before.
    assert_eq!(page.value(&duration_count("GET", "/metrics", 401)), 1.0);
    assert_eq!(page.value(&duration_count("GET", "/items/{id}", 200)), 1.0);
}

#[tokio::test]
async fn a_path_with_parameters_is_a_start_up_error() {
    let error = App::new().metrics("/metrics/<kind>").check().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the metrics path \"/metrics/<kind>\" is not a plain path"),
        "{error}"
    );
}

#[tokio::test]
async fn an_app_without_metrics_has_no_page() {
    let server = TestServer::start(App::new().routes(routes![item])).await;
    let (status, _, _) = server.http1().await.fetch(request("GET", "/metrics")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------- in-process tasks

#[tokio::test]
async fn background_tasks_are_counted_per_task_and_outcome() {
    let app = App::new().routes(routes![work]).metrics("/metrics");
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let (status, _, _) = server.http1().await.fetch(request("POST", "/work")).await;
    assert_eq!(status, StatusCode::OK);
    within("the request's tasks", monitor.wait_idle()).await;

    let page = scrape(&server).await;
    let ended = |task: &str, outcome: &str| {
        page.value(&format!(
            r#"atode_background_tasks_total{{task="metrics::{task}",handler="work",outcome="{outcome}"}}"#
        ))
    };
    assert_eq!(ended("ok_task", "completed"), 2.0);
    assert_eq!(ended("failing_task", "failed"), 1.0);
    assert_eq!(ended("panicking_task", "panicked"), 1.0);
    // Each task's pickup and run time, one observation per run.
    for histogram in [
        "atode_background_task_pickup_seconds",
        "atode_background_task_run_seconds",
    ] {
        let count = page.value(&format!(r#"{histogram}_count{{task="metrics::ok_task"}}"#));
        assert_eq!(count, 2.0, "{histogram}");
    }
    assert_eq!(page.value("atode_background_tasks_pending"), 0.0);
}

#[tokio::test]
async fn discarded_tasks_are_counted_as_lost() {
    #[post("/fails-after-queueing")]
    async fn fails_after_queueing(tasks: BackgroundTasks) -> Result<&'static str, StatusCode> {
        tasks.add_task(ok_task, ());
        Err(StatusCode::CONFLICT)
    }
    let app = App::new()
        .routes(routes![fails_after_queueing])
        .metrics("/metrics");
    let server = TestServer::start(app).await;
    let (status, _, _) = server
        .http1()
        .await
        .fetch(request("POST", "/fails-after-queueing"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let page = scrape(&server).await;
    assert_eq!(
        page.value(r#"atode_background_tasks_lost_total{reason="discarded"}"#),
        1.0
    );
    assert_eq!(
        page.get(
            r#"atode_background_tasks_total{task="metrics::ok_task",handler="fails_after_queueing",outcome="completed"}"#
        ),
        None,
        "a discarded task never ran"
    );
}

// ---------------------------------------------------------------- durable calls

async fn durable_attempts_are_counted_per_task_and_outcome(db: TestDb) {
    let queue = db.durable().connect().await.expect("open the queue");
    let app = App::new()
        .routes(routes![durable_work])
        .metrics("/metrics")
        .durable(queue);
    let server = TestServer::start(app).await;
    let (status, _, _) = server
        .http1()
        .await
        .fetch(request("POST", "/durable/ada"))
        .await;
    assert_eq!(status, StatusCode::OK);

    let completed = r#"atode_durable_attempts_total{task="metered_greeting",outcome="completed"}"#;
    let failed = r#"atode_durable_attempts_total{task="metered_refusal",outcome="failed"}"#;
    // The attempts run on this process's workers; the page says when.
    let page = until("both attempts on the page", || async {
        let page = scrape(&server).await;
        (page.get(completed).is_some() && page.get(failed).is_some()).then_some(page)
    })
    .await;
    assert_eq!(page.value(completed), 1.0);
    assert_eq!(page.value(failed), 1.0);
    assert_eq!(page.value("atode_durable_calls_written_total"), 2.0);
    for histogram in [
        "atode_durable_task_pickup_seconds",
        "atode_durable_task_run_seconds",
    ] {
        let count = page.value(&format!(r#"{histogram}_count{{task="metered_greeting"}}"#));
        assert_eq!(count, 1.0, "{histogram}");
    }
}

async fn the_queue_depth_is_read_from_the_database(db: TestDb) {
    // No workers: the calls wait, and the page counts them where they are.
    let queue = db
        .durable()
        .without_workers()
        .connect()
        .await
        .expect("open the queue");
    let app = App::new()
        .durable(queue)
        .routes(routes![durable_work])
        .metrics("/metrics");
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;
    for name in ["ada", "grace", "edsger"] {
        let (status, _, _) = client
            .fetch(request("POST", &format!("/durable/{name}")))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let page = scrape(&server).await;
    for task in ["metered_greeting", "metered_refusal"] {
        let depth = format!(
            r#"atode_durable_queue_depth{{queue="default",task="{task}",state="available"}}"#
        );
        assert_eq!(page.value(&depth), 3.0, "{task}");
    }
    assert!(
        page.series_of("atode_durable_attempts_total").is_empty(),
        "no worker ran anything"
    );
}
