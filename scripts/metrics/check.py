"""Scrapes a running ops_service's /metrics and reads it with the Prometheus
project's own OpenMetrics parser (prometheus_client), which refuses what
Prometheus would: a missing `# EOF`, a malformed sample, buckets that are
not cumulative or whose `+Inf` differs from `_count`, a counter without
`_total`. Then checks what the page says against the traffic sent.

    check.py BASE_URL TOKEN

Sends: three sign-ups, a request for a path no route has, and scrapes
without and with the token; waits (bounded) for the three welcome mails'
attempts to be counted. Exit 1 with the reason on the first failure.
"""

import sys
import time
import urllib.error
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families

CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
SIGNUPS = ["ada@example.com", "grace@example.com", "edsger@example.com"]
WAIT_SECONDS = 20


def fail(message):
    print(f"metrics check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def send(base, method, path, token=None):
    request = urllib.request.Request(base + path, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def scrape(base, token):
    status, headers, body = send(base, "GET", "/metrics", token)
    if status != 200:
        fail(f"GET /metrics with the token answered {status}: {body}")
    if headers["Content-Type"] != CONTENT_TYPE:
        fail(f"Content-Type is {headers['Content-Type']!r}, not {CONTENT_TYPE!r}")
    try:
        return {family.name: family for family in text_string_to_metric_families(body)}
    except ValueError as error:
        fail(f"Prometheus' parser refused the page: {error}\n{body}")


def value(families, family, sample, labels):
    for found in families.get(family, ()).samples if family in families else ():
        if found.name == sample and found.labels == labels:
            return found.value
    return None


def main():
    base, token = sys.argv[1].rstrip("/"), sys.argv[2]
    for email in SIGNUPS:
        status, _, body = send(base, "POST", f"/signup/{email}")
        if status != 200:
            fail(f"POST /signup/{email} answered {status}: {body}")
    send(base, "GET", "/no/such/page")
    status, _, _ = send(base, "GET", "/metrics")
    if status != 401:
        fail(f"GET /metrics without a token answered {status}, not 401")
    status, _, _ = send(base, "GET", "/metrics", "not-the-token")
    if status != 401:
        fail(f"GET /metrics with a wrong token answered {status}, not 401")

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        families = scrape(base, token)
        attempts = value(families, "atode_durable_attempts", "atode_durable_attempts_total",
                         {"task": "send_welcome", "outcome": "completed"})
        if attempts == len(SIGNUPS):
            break
        if time.monotonic() > deadline:
            fail(f"after {WAIT_SECONDS}s the page counts {attempts} completed welcome mails, "
                 f"not {len(SIGNUPS)}")
        time.sleep(0.1)

    expected_types = {
        "http_server_request_duration_seconds": "histogram",
        "atode_background_tasks": "counter",
        "atode_background_task_pickup_seconds": "histogram",
        "atode_background_task_run_seconds": "histogram",
        "atode_background_tasks_pending": "gauge",
        "atode_background_tasks_lost": "counter",
        "atode_background_refused_requests": "counter",
        "atode_durable_attempts": "counter",
        "atode_durable_task_pickup_seconds": "histogram",
        "atode_durable_task_run_seconds": "histogram",
        "atode_durable_calls_written": "counter",
    }
    for name, kind in expected_types.items():
        if name not in families:
            fail(f"no metric family {name}; the page has {sorted(families)}")
        if families[name].type != kind:
            fail(f"{name} is a {families[name].type}, not a {kind}")
    for name in ("http_server_request_duration_seconds", "atode_background_task_run_seconds",
                 "atode_durable_task_run_seconds"):
        if families[name].unit != "seconds":
            fail(f"{name} has unit {families[name].unit!r}, not 'seconds'")

    requests = families["http_server_request_duration_seconds"]
    checks = [
        ({"method": "POST", "route": "/signup/{email}", "status": "200"}, len(SIGNUPS)),
        ({"method": "GET", "route": "", "status": "404"}, 1),
        ({"method": "GET", "route": "/metrics", "status": "401"}, 2),
    ]
    for labels, count in checks:
        got = value(families, requests.name, requests.name + "_count", labels)
        if got != count:
            fail(f"{requests.name}_count{labels} is {got}, not {count}")
    audits = value(families, "atode_background_tasks", "atode_background_tasks_total",
                   {"task": "ops_service::audit", "handler": "signup", "outcome": "completed"})
    if audits != len(SIGNUPS):
        fail(f"the audit task completed {audits} times, not {len(SIGNUPS)}")
    written = value(families, "atode_durable_calls_written", "atode_durable_calls_written_total", {})
    if written != len(SIGNUPS):
        fail(f"{written} durable calls written, not {len(SIGNUPS)}")
    samples = sum(len(family.samples) for family in families.values())
    print(f"metrics check: ok: {len(families)} families, {samples} samples, "
          "read by prometheus_client's OpenMetrics parser")


main()
