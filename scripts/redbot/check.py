#!/usr/bin/env python3
"""Runs REDbot (https://redbot.org, "lint for HTTP") on routes of a running
server, one at a time, and reports what it finds wrong.

    python check.py --base http://127.0.0.1:PORT --example NAME \
        [--header 'Name: value']... [--allow 'EXAMPLE|ROUTE|NOTE']... \
        --route 'GET /path' [--route 'POST /path json:{"a": 1}']...

A route is `METHOD PATH [BODY]`; BODY is `json:...` (sent as
application/json) or `multipart` (a small form: a text file `file` and a
field `note`). REDbot's own follow-up requests (conditional, ranged,
gzip-negotiated) repeat the method and body.

A finding is a note of level WARN or BAD (REDbot's "bad severity"; GOOD and
INFO are not findings), or a request REDbot could not complete. One matched
by an --allow pattern (shell-style wildcards on each of EXAMPLE, ROUTE
(`METHOD PATH`) and the note's id) is listed as allowed (justified), one
matched by a --known pattern as known (a real finding whose fix is pending);
any other fails the run (exit 1). --json appends one JSON line per route.

Loopback only: --base must name 127.0.0.0/8 or ::1.
"""

from __future__ import annotations

import argparse
import fnmatch
import html
import ipaddress
import json
import re
import sys
import urllib.parse
from configparser import ConfigParser

import thor
from redbot.resource import HttpResource
from redbot.resource import fetch

FINDING_LEVELS = ("BAD", "WARN")
BOUNDARY = "atode-redbot-boundary"


def multipart_body() -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="notes.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "hello from redbot\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="note"\r\n\r\n'
        "checked\r\n"
        f"--{BOUNDARY}--\r\n"
    ).encode()


def parse_route(spec: str) -> tuple[str, str, list[tuple[str, str]], bytes]:
    parts = spec.split(None, 2)
    if len(parts) < 2:
        raise ValueError(f"route {spec!r} is not 'METHOD PATH [BODY]'")
    method, path = parts[0].upper(), parts[1]
    headers: list[tuple[str, str]] = []
    body = b""
    if len(parts) == 3:
        kind, _, data = parts[2].partition(":")
        if kind == "json":
            body = data.encode()
            headers.append(("Content-Type", "application/json"))
        elif kind == "multipart":
            body = multipart_body()
            headers.append(("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"))
        else:
            raise ValueError(f"route {spec!r}: a body is json:... or multipart")
    if body or method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(body))))
    return method, path, headers, body


def plain(text: str) -> str:
    """A note's detail, as one line of text."""
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def check_route(config, url: str, method: str, headers, body: bytes) -> HttpResource:
    # A new connection pool for each route: thor's client drops its
    # connections when the loop stops, only the first time, and a pool kept
    # across loop runs then leaves the next request waiting forever.
    fetch.RedFetcher.client = fetch.RedHttpClient()
    resource = HttpResource(config)
    resource.set_request(url, method=method, headers=headers, content=body)

    @thor.events.on(resource)
    def check_done() -> None:
        thor.stop()

    # A resource that fails before any request (a bad URL) is done at once.
    resource.check()
    if not resource.check_done:
        thor.run()
    return resource


def notes_of(resource: HttpResource) -> list[dict]:
    out = []

    def walk(note, parent=None):
        entry = {
            "id": note.__class__.__name__,
            "level": note.level.name,
            "category": note.category.name if note.category else "",
            "summary": plain(str(note.summary)),
            "detail": plain(str(note.detail)),
        }
        if parent:
            entry["parent"] = parent
        out.append(entry)
        for sub in note.subnotes:
            walk(sub, entry["id"])

    for note in resource.response.notes:
        walk(note)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--example", required=True)
    parser.add_argument("--route", action="append", default=[], help="METHOD PATH [BODY]")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', sent with every route")
    parser.add_argument("--allow", action="append", default=[], help="EXAMPLE|ROUTE|NOTE_ID, wildcards allowed")
    parser.add_argument("--known", action="append", default=[], help="as --allow, for a finding whose fix is pending")
    parser.add_argument("--json", help="append one JSON line per route to this file")
    args = parser.parse_args()

    host = urllib.parse.urlsplit(args.base).hostname or ""
    if not ipaddress.ip_address(host).is_loopback:
        parser.error(f"{host} is not a loopback address")
    def patterns(values: list[str], flag: str) -> list[list[str]]:
        out = []
        for pattern in values:
            fields = pattern.split("|")
            if len(fields) != 3:
                parser.error(f"{flag} {pattern!r} is not EXAMPLE|ROUTE|NOTE_ID")
            out.append(fields)
        return out

    allow = patterns(args.allow, "--allow")
    known = patterns(args.known, "--known")
    extra = [tuple(part.strip() for part in h.split(":", 1)) for h in args.header]

    config = ConfigParser()
    # As redbot's CLI: it refuses loopback addresses without this.
    config.read_dict({"redbot": {"enable_local_access": "True"}})
    config = config["redbot"]

    unexpected = 0
    for spec in args.route:
        method, path, headers, body = parse_route(spec)
        route = f"{method} {path}"
        resource = check_route(config, args.base.rstrip("/") + path, method, extra + headers, body)
        status = resource.response.status_code if resource.response.complete else None
        notes = notes_of(resource)
        findings = [n for n in notes if n["level"] in FINDING_LEVELS]
        if not resource.response.complete:
            error = resource.fetch_error.desc if resource.fetch_error else "no complete response"
            findings.append({"id": "FETCH_ERROR", "level": "BAD", "category": "", "summary": error, "detail": ""})
        seen = set()
        print(f"  {route} -> {status if status is not None else 'no response'}")
        for finding in findings:
            key = (finding["id"], finding["summary"])
            if key in seen:  # the same note from two follow-up requests
                continue
            seen.add(key)
            def matches(listed):
                return any(fnmatch.fnmatchcase(args.example, e) and fnmatch.fnmatchcase(route, r)
                           and fnmatch.fnmatchcase(finding["id"], n) for e, r, n in listed)

            mark = "known" if matches(known) else "allowed" if matches(allow) else "FINDING"
            finding["verdict"] = mark
            unexpected += mark == "FINDING"
            print(f"    [{mark}] {finding['level']} {finding['id']}: {finding['summary']}")
            if mark == "FINDING" and finding["detail"]:
                print(f"        {finding['detail'][:400]}")
        if args.json:
            with open(args.json, "a") as out:
                out.write(json.dumps({"example": args.example, "route": route, "status": status,
                                      "headers": resource.response.headers.text if status else [],
                                      "notes": notes, "findings": findings}) + "\n")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
