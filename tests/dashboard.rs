//! The task dashboard (`App::task_dashboard`), over a real loopback
//! server, on SQLite and on PostgreSQL (when `ATODE_TEST_POSTGRES_URL`
//! named a server when it was built): the overview's counts, the calls
//! filtered and paged by the database (also at 100,000 rows), one call
//! with its secrets hidden, each action's answers and their repeats, the
//! live events, and the guard.

mod common;
#[macro_use]
mod durable_support;

use std::time::{Duration, Instant};

use atode::durable::{Durable, Later, TaskId, TaskQueue, task};
use atode::http::Request;
use atode::middleware::Next;
use atode::{App, BackgroundTasks, Body, Response, StatusCode, post, routes};
use common::{Http1, TestServer, request, within};
use durable_support::TestDb;
use http_body_util::BodyExt;
use serde_json::Value;

on_every_backend!(
    the_overview_counts_the_calls_by_state_and_queue,
    the_live_count_moves_when_a_request_queues_a_task,
    calls_are_filtered_and_paged_by_the_database,
    a_page_of_a_large_table_reads_as_fast_as_of_a_small_one,
    a_call_shows_its_arguments_with_secrets_hidden,
    each_action_answers_200_409_404_and_the_same_again,
    a_form_without_script_is_sent_back_and_another_site_is_refused,
    the_guard_stands_before_every_route,
);

/// Waits an hour: it stays waiting for the whole test.
#[task]
async fn remind(user: u64) {
    let _ = user;
}

/// Has a secret among its arguments.
#[task]
async fn sign_up(email: String, password: String) {
    let _ = (email, password);
}

#[post("/remind/<user>")]
async fn queue_reminder(user: u64, tasks: BackgroundTasks) -> String {
    tasks
        .add_task(remind.after(Duration::from_secs(3600)), (user,))
        .to_string()
}

const HOUR: Duration = Duration::from_secs(3600);

/// The queue without workers (calls stay where the test put them) and a
/// server with the dashboard at `/admin/tasks`.
async fn serve(db: &TestDb, durable: impl FnOnce(Durable) -> Durable) -> (TaskQueue, TestServer) {
    let queue = durable(db.durable())
        .without_workers()
        .connect()
        .await
        .expect("open the queue");
    let app = App::new()
        .durable(queue.clone())
        .routes(routes![queue_reminder])
        .task_dashboard("/admin/tasks");
    (queue, TestServer::start(app).await)
}

async fn get(server: &TestServer, path: &str) -> (StatusCode, String) {
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", path))
        .await;
    (status, body)
}

async fn get_json(server: &TestServer, path: &str) -> Value {
    let (status, body) = get(server, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

async fn post(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", path))
        .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn ids(page: &Value) -> Vec<String> {
    page["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|call| call["id"].as_str().expect("an id").to_owned())
        .collect()
}

// ---------------------------------------------------------------- overview

async fn the_overview_counts_the_calls_by_state_and_queue(db: TestDb) {
    let (queue, server) = serve(&db, |durable| durable).await;
    let waiting = queue
        .add_task(remind.after(HOUR), (1,))
        .await
        .expect("queue");
    queue
        .add_task(remind.after(HOUR), (2,))
        .await
        .expect("queue");
    queue.add_task(remind, (3,)).await.expect("queue");
    queue.discard(waiting).await.expect("discard");

    let overview = get_json(&server, "/admin/tasks/api/overview").await;
    let states = &overview["durable"]["states"];
    assert_eq!(states["scheduled"], 1, "{overview}");
    assert_eq!(states["queued"], 1);
    assert_eq!(states["discarded"], 1);
    assert_eq!(states["running"], 0, "every state is listed");
    assert_eq!(overview["durable"]["queues"]["default"]["scheduled"], 1);
    assert_eq!(overview["durable"]["discarded_recently"], 1);
    assert_eq!(overview["durable"]["failure_rate"], 1.0);
    assert_eq!(overview["in_process"]["pending"], 0);

    let (status, page) = get(&server, "/admin/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="count-scheduled">1<"#), "{page}");
}

fn greeting() {}

fn failing_greeting() -> Result<(), String> {
    Err("no mail server".to_owned())
}

#[post("/greet")]
async fn greet(tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(greeting, ());
    tasks.add_task(failing_greeting, ());
    "queued"
}

#[post("/greet-twice")]
async fn greet_twice(tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(greeting, ());
    tasks.add_task(greeting, ());
    "queued"
}

/// In-process tasks, without a durable queue: counted by task and by the
/// handler whose requests queued them.
#[tokio::test]
async fn the_overview_counts_in_process_tasks_by_task_and_by_handler() {
    let app = App::new()
        .routes(routes![greet, greet_twice])
        .task_dashboard("/admin/tasks");
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = Http1::connect(server.addr).await;
    for path in ["/greet", "/greet-twice"] {
        let (status, _, _) = client.fetch(request("POST", path)).await;
        assert_eq!(status, StatusCode::OK);
    }
    within("the requests' tasks", monitor.wait_idle()).await;

    let overview = get_json(&server, "/admin/tasks/api/overview").await;
    let in_process = &overview["in_process"];
    assert_eq!(in_process["completed"], 3, "{overview}");
    assert_eq!(in_process["failed"], 1);
    // The same over the last minutes, and their rates.
    assert_eq!(in_process["completed_recently"], 3);
    assert_eq!(in_process["failed_recently"], 1);
    assert_eq!(in_process["failure_rate"], 0.25);
    assert_eq!(in_process["throughput_per_minute"], 0.6);
    let row = |list: &str, key: &str, name: &str| -> Value {
        in_process[list]
            .as_array()
            .expect("a list")
            .iter()
            .find(|row| row[key].as_str().is_some_and(|value| value.ends_with(name)))
            .unwrap_or_else(|| panic!("no {key} {name} in {overview}"))
            .clone()
    };
    assert_eq!(row("tasks", "task", "::greeting")["completed"], 3);
    assert_eq!(row("tasks", "task", "::failing_greeting")["failed"], 1);
    let greet = row("handlers", "handler", "greet");
    assert_eq!(
        (&greet["completed"], &greet["failed"]),
        (&Value::from(1), &Value::from(1))
    );
    let twice = row("handlers", "handler", "greet_twice");
    assert_eq!(
        (&twice["completed"], &twice["failed"]),
        (&Value::from(2), &Value::from(0))
    );
    let (_, page) = get(&server, "/admin/tasks").await;
    assert!(
        page.contains("By handler") && page.contains("greet_twice"),
        "{page}"
    );
    // The script keeps the rows' counts live from the events, by their
    // place in the overview's lists, and reads the page again when a list
    // grows.
    assert!(
        page.contains(r#"data-rows="in_process.handlers" data-length="2""#),
        "{page}"
    );
    assert!(
        page.contains(r#"data-count="in_process.handlers.1.completed">2<"#),
        "{page}"
    );
}

async fn the_live_count_moves_when_a_request_queues_a_task(db: TestDb) {
    let (_queue, server) = serve(&db, |durable| durable).await;
    let mut events = Http1::connect(server.addr)
        .await
        .send(request("GET", "/admin/tasks/api/events"))
        .await;
    assert_eq!(events.status(), StatusCode::OK);
    let mut received = String::new();
    let mut next_overview = async |received: &mut String| -> Value {
        loop {
            if let Some(end) = received.find("\n\n") {
                let event: String = received.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) {
                    return serde_json::from_str(data).expect("the event's JSON");
                }
                continue;
            }
            let frame = within("the next event", events.body_mut().frame())
                .await
                .expect("the stream goes on")
                .expect("a frame");
            if let Ok(data) = frame.into_data() {
                received.push_str(std::str::from_utf8(&data).expect("UTF-8"));
            }
        }
    };
    let first = next_overview(&mut received).await;
    assert_eq!(first["durable"]["states"]["scheduled"], 0);

    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", "/remind/7"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let moved = next_overview(&mut received).await;
    assert_eq!(moved["durable"]["states"]["scheduled"], 1, "{moved}");
}

// ---------------------------------------------------------------- calls

async fn calls_are_filtered_and_paged_by_the_database(db: TestDb) {
    let (queue, server) = serve(&db, |durable| durable).await;
    let mut reminders = Vec::new();
    for user in 0..5 {
        reminders.push(
            queue
                .add_task(remind.after(HOUR), (user,))
                .await
                .expect("queue"),
        );
    }
    let signed_up = queue
        .add_task(
            sign_up.after(HOUR),
            ("ada@example.com".to_owned(), "hunter2".to_owned()),
        )
        .await
        .expect("queue");
    queue.discard(reminders[1]).await.expect("discard");

    // Newest first, two at a time, every call once.
    let mut seen = Vec::new();
    let mut path = "/admin/tasks/api/calls?task=remind&limit=2".to_owned();
    loop {
        let page = get_json(&server, &path).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_i64() {
            Some(cursor) => {
                path = format!("/admin/tasks/api/calls?task=remind&limit=2&cursor={cursor}")
            }
            None => break,
        }
    }
    let newest_first: Vec<String> = reminders.iter().rev().map(TaskId::to_string).collect();
    assert_eq!(seen, newest_first);

    let discarded = get_json(&server, "/admin/tasks/api/calls?state=discarded").await;
    assert_eq!(ids(&discarded), [reminders[1].to_string()]);
    let scheduled_sign_ups = get_json(
        &server,
        "/admin/tasks/api/calls?state=scheduled&task=sign_up",
    )
    .await;
    assert_eq!(ids(&scheduled_sign_ups), [signed_up.to_string()]);
    let none = get_json(&server, "/admin/tasks/api/calls?queue=elsewhere").await;
    assert!(ids(&none).is_empty());
    let future = get_json(&server, "/admin/tasks/api/calls?after=2999-01-01T00:00:00Z").await;
    assert!(ids(&future).is_empty());
    let past = get_json(&server, "/admin/tasks/api/calls?after=2000-01-01T00:00").await;
    assert_eq!(ids(&past).len(), 6);
    let (status, _) = get(&server, "/admin/tasks/api/calls?state=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The page, without script: the same filter from its form.
    let (status, page) = get(&server, "/admin/tasks/calls?state=discarded&task=remind").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("/admin/tasks/calls/{}", reminders[1])),
        "{page}"
    );
    assert!(!page.contains(&format!("/admin/tasks/calls/{}", reminders[0])));
}

/// Inserts `rows` calls of `bulk_a` and `bulk_b` in one statement: most
/// completed, one in five discarded when `discarded` says so.
async fn insert_bulk(queue: &TaskQueue, from: i64, rows: i64, discarded: bool) {
    let every = if discarded { 2 } else { 0 };
    if let Some(pool) = queue.sqlite_pool() {
        let insert = format!(
            "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO river_job (tags, args, kind, state, finalized_at) \
             SELECT jsonb_array(printf('00000000-0000-7000-8000-%012d', i)), jsonb(json_object('args', json_array(i))), \
             CASE i % 2 WHEN 0 THEN 'bulk_a' ELSE 'bulk_b' END, \
             CASE WHEN i % 10 < {every} THEN 'discarded' ELSE 'completed' END, \
             '2026-01-01 00:00:00.000' FROM n",
            last = from + rows - 1
        );
        atode::durable::sqlx::query(atode::durable::sqlx::AssertSqlSafe(insert))
            .execute(pool)
            .await
            .expect("insert in bulk");
    } else if let Some(pool) = queue.postgres_pool() {
        let insert = format!(
            "INSERT INTO river_job (tags, args, kind, state, finalized_at, max_attempts) \
             SELECT ARRAY['00000000-0000-7000-8000-' || lpad(i::text, 12, '0')], jsonb_build_object('args', jsonb_build_array(i)), \
             CASE i % 2 WHEN 0 THEN 'bulk_a' ELSE 'bulk_b' END, \
             (CASE WHEN i % 10 < {every} THEN 'discarded' ELSE 'completed' END)::river_job_state, \
             now(), 25 FROM generate_series({from}, {last}) AS i",
            last = from + rows - 1
        );
        atode::durable::sqlx::query(atode::durable::sqlx::AssertSqlSafe(insert))
            .execute(pool)
            .await
            .expect("insert in bulk");
        atode::durable::sqlx::query("ANALYZE river_job")
            .execute(pool)
            .await
            .expect("analyze");
    }
}

/// How the database reads a page of discarded `bulk_a` calls.
async fn page_plan(queue: &TaskQueue) -> String {
    const PAGE: &str = "SELECT id FROM river_job WHERE state IN ('discarded') \
         AND kind = 'bulk_a' ORDER BY id DESC LIMIT 51";
    if let Some(pool) = queue.sqlite_pool() {
        let rows: Vec<(i64, i64, i64, String)> = atode::durable::sqlx::query_as(
            atode::durable::sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {PAGE}")),
        )
        .fetch_all(pool)
        .await
        .expect("explain");
        rows.into_iter()
            .map(|row| row.3)
            .collect::<Vec<_>>()
            .join("; ")
    } else if let Some(pool) = queue.postgres_pool() {
        let rows: Vec<String> = atode::durable::sqlx::query_scalar(
            atode::durable::sqlx::AssertSqlSafe(format!("EXPLAIN {PAGE}")),
        )
        .fetch_all(pool)
        .await
        .expect("explain");
        rows.join("; ")
    } else {
        String::new()
    }
}

/// The fastest of five reads of the last page of 50 discarded `bulk_a`
/// calls, whole (rows read and encoded, over HTTP).
async fn page_time(server: &TestServer) -> Duration {
    let mut fastest = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let page = get_json(
            server,
            "/admin/tasks/api/calls?state=discarded&task=bulk_a&limit=50",
        )
        .await;
        fastest = fastest.min(start.elapsed());
        assert_eq!(ids(&page).len(), 50);
    }
    fastest
}

async fn a_page_of_a_large_table_reads_as_fast_as_of_a_small_one(db: TestDb) {
    let (queue, server) = serve(&db, |durable| durable).await;
    insert_bulk(&queue, 1, 10_000, true).await;
    let small = page_time(&server).await;
    // Newer calls, none of them the page's: newest first, a scan would
    // read all 90,000 before it.
    insert_bulk(&queue, 10_001, 90_000, false).await;
    let large = page_time(&server).await;
    eprintln!("a page of 50 of 10,000 calls: {small:?}; of 100,000: {large:?}");
    // The database finds the page by an index, not by reading the table:
    // ten times the rows costs about the same.
    let plan = page_plan(&queue).await;
    assert!(
        plan.contains("atode_river_job_kind_state_id"),
        "the page's plan: {plan}"
    );
    assert!(
        large < small * 3 + Duration::from_millis(20),
        "10,000 rows: {small:?}, 100,000 rows: {large:?}"
    );
    assert!(large < Duration::from_secs(1));
}

// ---------------------------------------------------------------- one call

async fn a_call_shows_its_arguments_with_secrets_hidden(db: TestDb) {
    let (queue, server) = serve(&db, |durable| durable.redact("sign_up", &["#1"])).await;
    let id = queue
        .add_task(
            sign_up.after(HOUR),
            ("ada@example.com".to_owned(), "hunter2".to_owned()),
        )
        .await
        .expect("queue");
    let call = get_json(&server, &format!("/admin/tasks/api/calls/{id}")).await;
    assert_eq!(call["id"], id.to_string());
    assert_eq!(call["task"], "sign_up");
    assert_eq!(call["state"], "scheduled");
    assert_eq!(call["args"], serde_json::json!(["ada@example.com", "***"]));
    assert_eq!(call["queued_by"]["route"], Value::Null);

    let (status, page) = get(&server, &format!("/admin/tasks/calls/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("ada@example.com") && !page.contains("hunter2"),
        "{page}"
    );
    assert!(page.contains("not recorded"));

    // A call a request queued names the request's route.
    let (status, _, queued) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", "/remind/7"))
        .await;
    assert_eq!(status, StatusCode::OK, "{queued}");
    let call = get_json(&server, &format!("/admin/tasks/api/calls/{queued}")).await;
    assert_eq!(call["queued_by"]["route"], "/remind/{user}");
    let (_, page) = get(&server, &format!("/admin/tasks/calls/{queued}")).await;
    assert!(page.contains("/remind/{user}"), "{page}");

    let unknown = TaskId::random();
    let (status, _) = get(&server, &format!("/admin/tasks/api/calls/{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&server, &format!("/admin/tasks/calls/{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------- actions

async fn each_action_answers_200_409_404_and_the_same_again(db: TestDb) {
    let (queue, server) = serve(&db, |durable| durable).await;
    let id = queue
        .add_task(remind.after(HOUR), (1,))
        .await
        .expect("queue");
    let action = |name: &str| format!("/admin/tasks/api/calls/{id}/{name}");

    // Retry a waiting call: due now; again: unchanged.
    for _ in 0..2 {
        let (status, answer) = post(&server, &action("retry")).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["status"]["state"], "queued");
    }
    // Discard it, twice; then it cannot be cancelled.
    for _ in 0..2 {
        let (status, answer) = post(&server, &action("discard")).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["status"]["state"], "discarded");
    }
    let (status, answer) = post(&server, &action("cancel")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["status"]["state"], "discarded");
    // A discarded call is retried: queued again, then cancelled, twice.
    let (status, answer) = post(&server, &action("retry")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"]["state"], "queued");
    for _ in 0..2 {
        let (status, answer) = post(&server, &action("cancel")).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["status"]["state"], "cancelled");
    }
    // A cancelled call is not discarded.
    let (status, answer) = post(&server, &action("discard")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");

    let unknown = TaskId::random();
    for name in ["retry", "cancel", "discard"] {
        let (status, _) = post(&server, &format!("/admin/tasks/api/calls/{unknown}/{name}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
    }
}

async fn a_form_without_script_is_sent_back_and_another_site_is_refused(db: TestDb) {
    let (queue, server) = serve(&db, |durable| durable).await;
    let id = queue
        .add_task(remind.after(HOUR), (1,))
        .await
        .expect("queue");
    let path = format!("/admin/tasks/api/calls/{id}/discard");
    let form = http::Request::builder()
        .method("POST")
        .uri(&path)
        .header("host", "localhost")
        .header("origin", "http://localhost")
        .header("accept", "text/html,application/xhtml+xml")
        .body(Default::default())
        .expect("request");
    let (status, headers, _) = Http1::connect(server.addr).await.fetch(form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = headers["location"].to_str().expect("a location");
    assert_eq!(back, format!("/admin/tasks/calls/{id}?discard=200"));
    let (_, page) = get(&server, back).await;
    assert!(page.contains("discard: done"), "{page}");

    let elsewhere = http::Request::builder()
        .method("POST")
        .uri(format!("/admin/tasks/api/calls/{id}/retry"))
        .header("host", "localhost")
        .header("sec-fetch-site", "cross-site")
        .body(Default::default())
        .expect("request");
    let (status, _, _) = Http1::connect(server.addr).await.fetch(elsewhere).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let status = queue.status(id).await.expect("read").expect("the call");
    assert_eq!(
        status.state.as_str(),
        "discarded",
        "the other site's retry did nothing"
    );
}

// ---------------------------------------------------------------- guard

async fn operators_only(request: Request<Body>, next: Next) -> Result<Response, StatusCode> {
    match request.headers().get("authorization") {
        Some(token) if token == "Bearer ops" => Ok(next.run(request).await),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

async fn the_guard_stands_before_every_route(db: TestDb) {
    let queue = db
        .durable()
        .without_workers()
        .connect()
        .await
        .expect("open");
    let id = queue
        .add_task(remind.after(HOUR), (1,))
        .await
        .expect("queue");
    let app = App::new()
        .durable(queue.clone())
        .task_dashboard_with("/admin/tasks", |router| router.middleware(operators_only));
    let server = TestServer::start(app).await;
    for (method, path) in [
        ("GET", "/admin/tasks".to_owned()),
        ("GET", "/admin/tasks/calls".to_owned()),
        ("GET", format!("/admin/tasks/calls/{id}")),
        ("GET", "/admin/tasks/assets/dashboard.js".to_owned()),
        ("GET", "/admin/tasks/api/overview".to_owned()),
        ("GET", "/admin/tasks/api/events".to_owned()),
        ("GET", format!("/admin/tasks/api/calls/{id}")),
        ("POST", format!("/admin/tasks/api/calls/{id}/cancel")),
    ] {
        let (status, _, _) = Http1::connect(server.addr)
            .await
            .fetch(request(method, &path))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let status = queue.status(id).await.expect("read").expect("the call");
    assert_eq!(
        status.state.as_str(),
        "scheduled",
        "the unguarded cancel did nothing"
    );
    let let_in = http::Request::builder()
        .uri("/admin/tasks")
        .header("host", "localhost")
        .header("authorization", "Bearer ops")
        .body(Default::default())
        .expect("request");
    let (status, headers, _) = Http1::connect(server.addr).await.fetch(let_in).await;
    assert_eq!(status, StatusCode::OK);
    let policy = headers["content-security-policy"]
        .to_str()
        .expect("a policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
}
