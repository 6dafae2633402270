#!/usr/bin/env python3
"""HTTP/1.1 framing and request-smuggling vectors, against a running
`examples/echo.rs`, with h11 as the reference parser.

    python3 scripts/http1/framing.py 127.0.0.1:8000 [-v] [--strict] [--only NAME]...

(scripts/http1_framing.sh builds and starts the example, and runs this in
a venv that has h11.)

For each vector it writes, in one send on a fresh connection, the vector's
bytes followed by an innocent pipelined request (`GET /hits/<id>/next`),
reads what atode answers and whether it closes the connection, then asks the
example's `GET /seen` which requests reached a handler. The same bytes go
through `h11.Connection(h11.SERVER)` to learn how the reference reads them:
which requests, with which bodies, and whether it gives up (and with what
status) or waits for more bytes.

The verdict, per vector (see `judge`):
  - every request that reached a handler is, in order, one that h11 reads
    there too (method, target, and the body where the handler read it):
    nothing smuggled, no body bytes taken for a request;
  - atode answers each of those, then at most one rejection: a 4xx (400 for
    a malformed message, 501 for an unknown transfer coding), after which it
    answers nothing more; after a 400 or 501 (faulty framing, RFC 9112 6.3)
    the connection must be closed;
  - where atode stops short of h11's reading without a rejection, it has
    closed the connection (stricter, and harmless: nothing more is read);
    where it keeps the connection open, h11 agrees that the next bytes are
    not a complete request (both wait);
  - a vector may name other readings it accepts as well (`also`), each for
    a stated reason: where atode (hyper) is looser than h11 in a way RFC 9112
    allows or that cannot move a message boundary. Those pass as "lenient",
    and are listed apart;
  - a vector marked `known` shows a finding already reported and not yet
    fixed: it is expected to fail, is shown as KNOWN and not counted, and
    fails the run once it passes (so that the mark comes off with the fix);
    `--strict` counts it as a failure instead.

Prints a table (vector, h11's reading, atode's answer, closed?, verdict),
then "http1_framing: N passed, N failed" (lenient ones counted as passed,
known ones in neither; both named above it), and exits 1 on any failure.
Traffic goes to the given address only, each connection is bounded (5 s),
and vectors run eight at a time.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import h11

# How long to wait for atode's answers on one connection, and how long to
# wait for anything more once the expected answers are in.
DEADLINE = 5.0
QUIET = 0.3


def smuggled(vid: str) -> bytes:
    """A complete request, hidden where it must be read as body bytes."""
    return b"GET /hits/%s/smuggled HTTP/1.1\r\nHost: x\r\n\r\n" % vid.encode()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def followup(vid: str) -> bytes:
    """The innocent request pipelined after every vector."""
    return b"GET /hits/%s/next HTTP/1.1\r\nHost: x\r\n\r\n" % vid.encode()


@dataclass
class Vector:
    name: str
    # The bytes, given the vector's id (which the paths carry, so that the
    # server's log can be told apart per vector).
    make: object
    # Other byte strings whose h11 reading is accepted too, with the reason.
    also: list = field(default_factory=list)
    # A finding already reported: the vector is expected to fail (and
    # counted apart) until it is fixed; once it passes, the run fails so
    # that the mark is taken off. `--strict` counts it as a failure.
    known: str = ""


def post_echo(headers: bytes, body: bytes, version: bytes = b"HTTP/1.1"):
    """POST /echo?v=<id> with the given header lines (each ending in CRLF)."""
    return lambda vid: (
        b"POST /echo?v=%s %s\r\nHost: x\r\n" % (vid.encode(), version) + headers + b"\r\n" + body
    )


def te_cl(te_lines: bytes):
    """TE.CL: the vector's Transfer-Encoding lines plus a Content-Length that
    covers only the chunk-size line. Read as chunked, the body is one chunk
    holding a whole request; read by Content-Length, that request comes
    next: a parser that does not see `chunked` in the lines is smuggled to."""

    def make(vid: str) -> bytes:
        body = chunk(smuggled(vid)) + b"0\r\n\r\n"
        size_line = body.split(b"\r\n")[0] + b"\r\n"
        return (
            b"POST /echo?v=%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % (vid.encode(), len(size_line))
            + te_lines
            + b"\r\n"
            + body
        )

    return make


CHUNKED_HELLO = b"5\r\nhello\r\n0\r\n\r\n"

# Why a lenient reading (a vector's `also`) is harmless. In each, atode
# (hyper) accepts what h11 refuses, and reads it exactly as h11 reads the
# canonical form given beside it; each is listed in the report too.
WHY_TE_FINAL_CHUNKED = (
    "hyper frames any request whose last transfer coding is chunked as chunked and "
    "ignores the others; RFC 9112 6.3 (4) frames it the same way (chunked is final), "
    "so the boundary cannot move; h11 refuses every coding but a lone chunked (501)"
)
WHY_CHUNK_BWS = (
    "RFC 9112 7.1.1 allows BWS before a chunk extension's ';'; h11's chunk-size "
    "regex does not; the chunk size is the same either way"
)
WHY_KEEPALIVE = "HTTP/1.0 with Connection: keep-alive persists (RFC 9112 9.3); h11 never keeps 1.0 alive"
WHY_EMPTY_LINE = "RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line; h11 does not"

# Known findings, by the vectors that show them: none open. The bare-LF
# trailer vectors (hyper's chunked decoder ends trailers only at CRLF CRLF,
# so it can read on into the next request) pass because atode makes a
# chunked HTTP/1.1 request the last on its connection; the Host vectors
# because atode answers 400 to an HTTP/1.1 request without exactly one Host.


def carrying(vid: str, body: bytes) -> bytes:
    """A request to an unrouted path (404) whose body is `body`."""
    return b"POST /nowhere?v=%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (vid.encode(), len(body)) + body


def hello_cl(extra: bytes = b""):
    return post_echo(b"Content-Length: 5\r\n" + extra, b"hello")


def cl_te(vid: str) -> bytes:
    """CL.TE: Content-Length covers a whole request after a last chunk."""
    body = b"0\r\n\r\n" + smuggled(vid)
    return post_echo(b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(body), body)(vid)


def get_hits(headers: bytes, body: bytes, method: bytes = b"GET", path: bytes = b"/hits/{id}/first"):
    return lambda vid: (
        method + b" " + path.replace(b"{id}", vid.encode()) + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body
    )


VECTORS = [
    # Baselines: the vectors' shapes, well-formed.
    Vector("baseline-cl", hello_cl()),
    Vector("baseline-chunked", post_echo(b"Transfer-Encoding: chunked\r\n", CHUNKED_HELLO)),
    # Content-Length together with Transfer-Encoding.
    Vector("cl-te", cl_te),
    Vector("te-cl", te_cl(b"Transfer-Encoding: chunked\r\n")),
    # Obfuscated Transfer-Encoding, each in the TE.CL shape.
    Vector("te-chunked-identity", te_cl(b"Transfer-Encoding: chunked, identity\r\n")),
    Vector(
        "te-identity-chunked",
        te_cl(b"Transfer-Encoding: identity, chunked\r\n"),
        also=[(te_cl(b"Transfer-Encoding: chunked\r\n"), WHY_TE_FINAL_CHUNKED)],
    ),
    Vector(
        "te-gzip-chunked",
        te_cl(b"Transfer-Encoding: gzip, chunked\r\n"),
        also=[(te_cl(b"Transfer-Encoding: chunked\r\n"), WHY_TE_FINAL_CHUNKED)],
    ),
    Vector("te-space-before-colon", te_cl(b"Transfer-Encoding : chunked\r\n")),
    Vector("te-tab-before-colon", te_cl(b"Transfer-Encoding\t: chunked\r\n")),
    Vector("te-tab-after-colon", te_cl(b"Transfer-Encoding:\tchunked\r\n")),
    Vector("te-odd-case-value", te_cl(b"Transfer-Encoding: ChUnKeD\r\n")),
    Vector("te-odd-case-name", te_cl(b"tRANSFER-eNCODING: chunked\r\n")),
    Vector("te-second-header-identity", te_cl(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n")),
    Vector(
        "te-second-header-chunked",
        te_cl(b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"),
        also=[(te_cl(b"Transfer-Encoding: chunked\r\n"), WHY_TE_FINAL_CHUNKED)],
    ),
    Vector(
        "te-chunked-twice",
        te_cl(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
        also=[
            (
                te_cl(b"Transfer-Encoding: chunked\r\n"),
                "hyper decodes `chunked, chunked` once; the outer chunked frames the "
                "message under RFC 9112 6.3 (4) whatever the inner one is",
            )
        ],
    ),
    Vector("te-xchunked", te_cl(b"Transfer-Encoding: xchunked\r\n")),
    Vector("te-chunked-x", te_cl(b"Transfer-Encoding: chunkedx\r\n")),
    Vector("te-trailing-comma", te_cl(b"Transfer-Encoding: chunked,\r\n")),
    Vector("te-quoted", te_cl(b'Transfer-Encoding: "chunked"\r\n')),
    Vector("te-vertical-tab", te_cl(b"Transfer-Encoding: \x0bchunked\r\n")),
    Vector("te-obs-fold", te_cl(b"Transfer-Encoding:\r\n chunked\r\n")),
    Vector("te-only-xchunked", post_echo(b"Transfer-Encoding: xchunked\r\n", CHUNKED_HELLO)),
    # Content-Length.
    Vector("cl-duplicate-same", hello_cl(b"Content-Length: 5\r\n")),
    Vector("cl-duplicate-differ", post_echo(b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!")),
    Vector("cl-list-same", post_echo(b"Content-Length: 5, 5\r\n", b"hello")),
    Vector("cl-list-differ", post_echo(b"Content-Length: 5, 6\r\n", b"hello!")),
    Vector("cl-plus", post_echo(b"Content-Length: +5\r\n", b"hello")),
    Vector("cl-minus", post_echo(b"Content-Length: -1\r\n", b"hello")),
    Vector("cl-overflow", post_echo(b"Content-Length: 99999999999999999999999\r\n", b"hello")),
    Vector("cl-u64-max", post_echo(b"Content-Length: 18446744073709551615\r\n", b"hello")),
    Vector("cl-leading-zeros", post_echo(b"Content-Length: 0005\r\n", b"hello")),
    Vector("cl-hex", post_echo(b"Content-Length: 0x5\r\n", b"hello")),
    Vector("cl-empty", post_echo(b"Content-Length: \r\n", b"hello")),
    Vector("cl-space-before-colon", post_echo(b"Content-Length : 5\r\n", b"hello")),
    Vector(
        "cl-past-body-limit",
        lambda vid: post_echo(b"Content-Length: 3000000\r\n", smuggled(vid))(vid),
    ),
    Vector(
        "chunked-past-body-limit",
        lambda vid: post_echo(b"Transfer-Encoding: chunked\r\n", b"2dc6c0\r\n" + smuggled(vid))(vid),
    ),
    # Line endings and folding.
    Vector(
        "bare-lf",
        lambda vid: b"POST /echo?v=%s HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello" % vid.encode(),
    ),
    Vector("bare-lf-chunked", post_echo(b"Transfer-Encoding: chunked\r\n", b"5\nhello\n0\n\n")),
    Vector(
        "bare-cr",
        lambda vid: b"POST /echo?v=%s HTTP/1.1\rHost: x\rContent-Length: 5\r\rhello" % vid.encode(),
    ),
    Vector("obs-fold", hello_cl(b"X-Folded: a\r\n b\r\n")),
    Vector("obs-fold-hiding-cl", lambda vid: post_echo(b"X-Folded: a\r\n Content-Length: 5\r\n", b"hello")(vid)),
    Vector(
        "space-first-header-line",
        lambda vid: b"POST /echo?v=%s HTTP/1.1\r\n Content-Length: 5\r\nHost: x\r\n\r\nhello" % vid.encode(),
    ),
    # Chunk sizes.
    Vector("chunk-extension", post_echo(b"Transfer-Encoding: chunked\r\n", b"5;ext=1\r\nhello\r\n0\r\n\r\n")),
    Vector(
        "chunk-extension-quoted",
        post_echo(b"Transfer-Encoding: chunked\r\n", b'5;ext="a b"\r\nhello\r\n0\r\n\r\n'),
    ),
    Vector(
        "chunk-extension-bws",
        post_echo(b"Transfer-Encoding: chunked\r\n", b"5 ;ext=1\r\nhello\r\n0\r\n\r\n"),
        also=[(post_echo(b"Transfer-Encoding: chunked\r\n", b"5;ext=1\r\nhello\r\n0\r\n\r\n"), WHY_CHUNK_BWS)],
    ),
    Vector(
        "chunk-extension-lf",
        post_echo(b"Transfer-Encoding: chunked\r\n", b"5;ext=1\nhello\r\n0\r\n\r\n"),
    ),
    Vector("chunk-size-space", post_echo(b"Transfer-Encoding: chunked\r\n", b"5 \r\nhello\r\n0\r\n\r\n")),
    Vector(
        "chunk-size-overflow",
        post_echo(b"Transfer-Encoding: chunked\r\n", b"ffffffffffffffffff1\r\nhello\r\n0\r\n\r\n"),
    ),
    Vector("chunk-size-non-hex", post_echo(b"Transfer-Encoding: chunked\r\n", b"5g\r\nhello\r\n0\r\n\r\n")),
    Vector("chunk-size-0x", post_echo(b"Transfer-Encoding: chunked\r\n", b"0x5\r\nhello\r\n0\r\n\r\n")),
    Vector("chunk-size-negative", post_echo(b"Transfer-Encoding: chunked\r\n", b"-5\r\nhello\r\n0\r\n\r\n")),
    Vector("chunk-size-too-small", post_echo(b"Transfer-Encoding: chunked\r\n", b"3\r\nhello\r\n0\r\n\r\n")),
    Vector("chunk-data-no-crlf", post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello0\r\n\r\n")),
    Vector("chunk-no-final-crlf", post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n")),
    Vector("chunk-trailer", post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n")),
    # A trailer section ended by bare LFs: h11 (like hyper's own head
    # parser, RFC 9112 2.2) ends it at the blank line; hyper's chunked
    # decoder reads on to the next CRLF CRLF, swallowing what follows.
    Vector(
        "trailer-bare-lf",
        post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\nX-Trailer: 1\n\n"),
    ),
    Vector(
        "trailer-crlf-then-lf",
        post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\n"),
    ),
    Vector(
        "trailer-bare-lf-smuggle",
        lambda vid: post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\nX-Trailer: 1\n\n")(vid)
        + carrying(vid, smuggled(vid)),
    ),
    Vector(
        "trailer-bare-lf-unread-smuggle",
        lambda vid: get_hits(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\nX-Trailer: 1\n\n")(vid)
        + carrying(vid, smuggled(vid)),
    ),
    Vector("trailer-no-colon", post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\nX-Trailer\r\n\r\n")),
    Vector("last-chunk-bare-lf", post_echo(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\n\n")),
    # The request line.
    Vector("request-line-extra-spaces", lambda vid: b"GET  /hits/%s/first  HTTP/1.1\r\nHost: x\r\n\r\n" % vid.encode()),
    Vector("request-line-trailing-space", lambda vid: b"GET /hits/%s/first HTTP/1.1 \r\nHost: x\r\n\r\n" % vid.encode()),
    Vector("request-line-tab", lambda vid: b"GET\t/hits/%s/first\tHTTP/1.1\r\nHost: x\r\n\r\n" % vid.encode()),
    Vector("absolute-form", lambda vid: b"GET http://h/hits/%s/first HTTP/1.1\r\nHost: h\r\n\r\n" % vid.encode()),
    Vector(
        "absolute-form-other-host",
        lambda vid: b"GET http://h/hits/%s/first HTTP/1.1\r\nHost: other\r\n\r\n" % vid.encode(),
    ),
    Vector(
        "leading-empty-line",
        lambda vid: b"\r\nGET /hits/%s/first HTTP/1.1\r\nHost: x\r\n\r\n" % vid.encode(),
        also=[(lambda vid: b"GET /hits/%s/first HTTP/1.1\r\nHost: x\r\n\r\n" % vid.encode(), WHY_EMPTY_LINE)],
    ),
    Vector("connect", lambda vid: b"CONNECT %s.example:443 HTTP/1.1\r\nHost: %s.example:443\r\n\r\n" % (vid.encode(), vid.encode())),
    Vector("http10-te", post_echo(b"Transfer-Encoding: chunked\r\n", CHUNKED_HELLO, b"HTTP/1.0")),
    Vector(
        "http10-te-cl",
        post_echo(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", CHUNKED_HELLO, b"HTTP/1.0"),
    ),
    Vector(
        "http10-keep-alive",
        post_echo(b"Connection: keep-alive\r\nContent-Length: 5\r\n", b"hello", b"HTTP/1.0"),
        also=[(post_echo(b"Content-Length: 5\r\n", b"hello"), WHY_KEEPALIVE)],
    ),
    Vector("connection-close", hello_cl(b"Connection: close\r\n")),
    # Header fields.
    Vector("nul-in-value", hello_cl(b"X-A: a\x00b\r\n")),
    Vector("cr-in-value", hello_cl(b"X-A: a\rb\r\n")),
    Vector("space-before-colon", hello_cl(b"X-A : b\r\n")),
    Vector("space-in-name", hello_cl(b"X A: b\r\n")),
    Vector("empty-name", hello_cl(b": b\r\n")),
    Vector(
        "host-missing",
        lambda vid: b"POST /echo?v=%s HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" % vid.encode(),
    ),
    Vector("host-duplicated", hello_cl(b"Host: y\r\n")),
    Vector(
        "host-missing-http10",
        lambda vid: b"POST /echo?v=%s HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello" % vid.encode(),
    ),
    Vector("expect-100-continue", hello_cl(b"Expect: 100-continue\r\n")),
    Vector(
        "expect-100-unread",
        lambda vid: get_hits(b"Expect: 100-continue\r\nContent-Length: %d\r\n" % len(smuggled(vid)), smuggled(vid))(vid),
    ),
    Vector(
        "expect-100-past-body-limit",
        lambda vid: post_echo(b"Expect: 100-continue\r\nContent-Length: 3000000\r\n", smuggled(vid))(vid),
    ),
    Vector(
        "upgrade-h2c-refused",
        get_hits(b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n", b""),
    ),
    # Bodies that no handler reads: hyper must skip them, not parse them.
    Vector("unread-body-cl", lambda vid: get_hits(b"Content-Length: %d\r\n" % len(smuggled(vid)), smuggled(vid))(vid)),
    Vector(
        "unread-body-chunked",
        lambda vid: get_hits(b"Transfer-Encoding: chunked\r\n", chunk(smuggled(vid)) + b"0\r\n\r\n")(vid),
    ),
    Vector(
        "unread-body-404",
        lambda vid: get_hits(
            b"Content-Length: %d\r\n" % len(smuggled(vid)), smuggled(vid), b"POST", b"/nowhere?v={id}"
        )(vid),
    ),
    Vector(
        "unread-body-405-chunked",
        lambda vid: get_hits(b"Transfer-Encoding: chunked\r\n", chunk(smuggled(vid)) + b"0\r\n\r\n", b"POST")(vid),
    ),
]


# --- h11's reading -----------------------------------------------------------


@dataclass
class Reading:
    # The complete requests, in order: (method, target, body).
    requests: list
    # How it ends: "clean" (nothing left over), "incomplete" (waits for
    # more bytes), "close" (h11 would close after the last one), or
    # "error" (it refuses the next message; status is its hint).
    end: str
    status: int = 0
    reason: str = ""


def h11_read(data: bytes) -> Reading:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    requests = []
    current = None
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as error:
            return Reading(requests, "error", error.error_status_hint, str(error))
        if event is h11.NEED_DATA:
            pending, _ = conn.trailing_data
            return Reading(requests, "incomplete" if current or pending else "clean")
        if event is h11.PAUSED:
            # Only after a request is whole (answered below), so never here.
            return Reading(requests, "error", 0, "paused")
        if isinstance(event, h11.Request):
            current = [event.method, event.target, b""]
            current_method, current_target = event.method, event.target
        elif isinstance(event, h11.Data):
            current[2] += event.data
        elif isinstance(event, h11.EndOfMessage):
            requests.append(tuple(current))
            current = None
            # Answer it as the app does, then go on to the next request, if
            # the connection may carry one.
            status = example_status(current_method, current_target)
            conn.send(h11.Response(status_code=status, headers=[("content-length", "0")]))
            conn.send(h11.EndOfMessage())
            if conn.our_state is h11.MUST_CLOSE:
                return Reading(requests, "close")
            conn.start_next_cycle()


def example_status(method: bytes, target: bytes) -> int:
    """The status examples/echo.rs answers a request with (which matters to
    h11 for CONNECT and Upgrade: only a 2xx or 101 would switch protocols)."""
    path = re.sub(rb"^https?://[^/]*", b"", target).split(b"?")[0]
    routes = {b"/echo": b"POST", b"/seen": b"GET"}
    allowed = routes.get(path, b"GET" if path.startswith(b"/hits/") else None)
    if allowed is None:
        return 404
    return 200 if method == allowed else 405


def describe_reading(reading: Reading, vid: str) -> str:
    parts = [describe_request(m.decode("latin-1"), t.decode("latin-1"), b, vid) for m, t, b in reading.requests]
    if reading.end == "error":
        parts.append(f"error {reading.status}")
    elif reading.end == "incomplete":
        parts.append("waits")
    elif reading.end == "close":
        parts.append("close")
    return "; ".join(parts) or "-"


def describe_request(method: str, target: str, body, vid: str) -> str:
    """`POST echo 5B`, `GET next`: short, with the vector's id left out."""
    path = re.sub(r"^https?://[^/]*", "", target)
    path = path.replace(f"?v={vid}", "").replace(f"/hits/{vid}/", "").lstrip("/").replace(vid, "ID")
    text = f"{method} {path}"
    if body is not None and (body or method == "POST"):
        text += f" {len(body)}B"
    return text


# --- atode's answer ----------------------------------------------------------


@dataclass
class Answer:
    statuses: list  # final responses, in order (1xx left out)
    closed: str  # "closed", "reset" or "open"
    leftover: bytes  # bytes after the last whole response
    served: list = field(default_factory=list)  # the example's /seen entries


def parse_responses(buf: bytes):
    """The whole responses at the start of buf: ([status], rest)."""
    statuses = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return statuses, buf
        head = buf[:end].decode("latin-1").split("\r\n")
        match = re.match(r"HTTP/1\.[01] (\d{3})", head[0])
        if not match:
            return statuses, buf
        status = int(match.group(1))
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = buf[end + 4 :]
        if 100 <= status < 200:
            buf = rest
            continue
        if "content-length" in headers:
            length = int(headers["content-length"])
            if len(rest) < length:
                return statuses, buf
            buf = rest[length:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            pos = 0
            while True:
                line_end = rest.find(b"\r\n", pos)
                if line_end < 0:
                    return statuses, buf
                size = int(rest[pos:line_end].split(b";")[0], 16)
                pos = line_end + 2 + size + 2
                if pos > len(rest):
                    return statuses, buf
                if size == 0:
                    break
            buf = rest[pos:]
        else:
            return statuses, buf  # delimited by the close: not expected here
        statuses.append(status)


def send_vector(addr, data: bytes, expect: int) -> Answer:
    """Writes data in one send, then reads until the connection closes, or
    `expect` responses are in and nothing more comes for QUIET seconds, or
    DEADLINE passes."""
    sock = socket.create_connection(addr, timeout=DEADLINE)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    closed = "open"
    try:
        sock.sendall(data)
        start = time.monotonic()
        last = start
        while True:
            now = time.monotonic()
            statuses, _ = parse_responses(buf)
            if now - start > DEADLINE:
                break
            if len(statuses) >= expect and now - last > QUIET:
                break
            sock.settimeout(max(0.01, min(QUIET, DEADLINE - (now - start))))
            try:
                got = sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                closed = "reset"
                break
            if not got:
                closed = "closed"
                break
            buf += got
            last = time.monotonic()
    finally:
        sock.close()
    statuses, rest = parse_responses(buf)
    return Answer(statuses, closed, rest)


def fetch_seen(addr) -> list:
    sock = socket.create_connection(addr, timeout=DEADLINE)
    try:
        sock.sendall(b"GET /seen HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            got = sock.recv(65536)
            if not got:
                break
            buf += got
    finally:
        sock.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"http1_framing: GET /seen answered {head[:40]!r}")
    return json.loads(body)


def describe_answer(answer: Answer, vid: str) -> str:
    served = [describe_request(s["method"], s["target"], body_of(s), vid) for s in answer.served]
    text = " ".join(str(s) for s in answer.statuses) or "nothing"
    if served:
        text += " (" + ", ".join(served) + ")"
    if answer.leftover:
        text += f" +{len(answer.leftover)}B unparsed"
    return text


def body_of(served: dict):
    if served["body_length"] is None:
        return None
    return served["body"].encode("utf-8")


# --- the verdict ---------------------------------------------------------------


def judge(reading: Reading, answer: Answer) -> list:
    """What is wrong with atode's answer, read against one h11 reading
    (empty: nothing)."""
    problems = []
    served = answer.served
    for i, entry in enumerate(served):
        if i >= len(reading.requests):
            problems.append(f"a handler got {entry['method']} {entry['target']}, which h11 never reads")
            continue
        method, target, body = reading.requests[i]
        if entry["method"] != method.decode("latin-1") or entry["target"] != target.decode("latin-1"):
            problems.append(
                f"request {i + 1} reached a handler as {entry['method']} {entry['target']}, "
                f"h11 reads {method.decode('latin-1')} {target.decode('latin-1')}"
            )
        elif entry["body_length"] is not None and (
            entry["body_length"] != len(body) or entry["body"] != body.decode("utf-8", "replace")
        ):
            problems.append(f"request {i + 1}'s body was read as {entry['body']!r}, h11 reads {body!r}")
    if problems:
        return problems

    handled = len(served)
    statuses = answer.statuses
    if len(statuses) < handled:
        problems.append(f"{handled} request(s) reached a handler but {len(statuses)} answered")
        return problems
    extra = statuses[handled:]
    if answer.leftover:
        problems.append(f"{len(answer.leftover)} bytes that are no whole response")
    if len(extra) > 1:
        problems.append(f"answered {len(extra)} requests no handler saw: {extra}")
    elif extra:
        # A rejection where h11 reads a request is always accepted: atode is
        # stricter, and reads nothing after it (hyper refuses cl-list-same,
        # `Content-Length: 5, 5`, which RFC 9110 8.6 lets a recipient take
        # as 5; and obs-fold, which RFC 9112 5.2 lets a server refuse). A 413
        # or 431 is about size, not framing, so it need not close, though
        # hyper does when it cannot drain the body; a handler's own 4xx
        # (the 404 and 405 of unrouted requests) is among the handled.
        status = extra[0]
        if not 400 <= status < 500:
            problems.append(f"rejected with {status}, not a 4xx")
        elif status in (400, 501) and answer.closed == "open":
            # RFC 9112 6.3: after faulty framing the server MUST close.
            problems.append(f"{status} without closing the connection")
    else:
        # No rejection: atode read `handled` requests and stopped.
        if handled < len(reading.requests) and answer.closed == "open":
            # h11 reads the next request whole; atode waits on: a body
            # boundary differs.
            problems.append(
                f"read {handled} of h11's {len(reading.requests)} requests and waits for more bytes"
            )
        elif handled == len(reading.requests) and reading.end == "error" and answer.closed == "open":
            problems.append(f"h11 refuses the next bytes ({reading.reason}); atode neither answers nor closes")
        if reading.end == "close" and handled == len(reading.requests) and answer.closed == "open":
            problems.append("h11 closes after the last request; atode keeps the connection open")
    return problems


@dataclass
class Result:
    vector: Vector
    vid: str
    reading: Reading
    answer: Answer
    verdict: str = ""
    notes: list = field(default_factory=list)


def run_vector(addr, vector: Vector, vid: str) -> Result:
    data = vector.make(vid) + followup(vid)
    reading = h11_read(data)
    # The answers to wait for: h11's requests, or one rejection.
    expect = max(1, len(reading.requests) + (reading.end == "error"))
    answer = send_vector(addr, data, expect)
    return Result(vector, vid, reading, answer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addr", help="host:port of a running examples/echo.rs")
    parser.add_argument("-v", "--verbose", action="store_true", help="show each vector's bytes and h11's reasons")
    parser.add_argument("--only", action="append", default=[], help="run only this vector (repeatable)")
    parser.add_argument("--strict", action="store_true", help="count the known findings as failures")
    args = parser.parse_args()
    host, _, port = args.addr.rpartition(":")
    addr = (host, int(port))

    vectors = [v for v in VECTORS if not args.only or v.name in args.only]
    if args.only and len(vectors) != len(set(args.only)):
        print(f"http1_framing: unknown vector in {args.only}", file=sys.stderr)
        return 2
    # A run id keeps this run's entries in the server's log apart from an
    # earlier run's against the same server.
    run = f"{int(time.time() * 1000) % 10**8:08d}"
    ids = {v.name: f"r{run}v{i:03d}" for i, v in enumerate(vectors)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda v: run_vector(addr, v, ids[v.name]), vectors))

    by_id = {r.vid: r for r in results}
    for entry in fetch_seen(addr):
        match = re.search(r"\b(r\d{8}v\d{3})\b", entry["target"])
        if match and match.group(1) in by_id:
            by_id[match.group(1)].answer.served.append(entry)

    for result in results:
        problems = judge(result.reading, result.answer)
        if problems:
            for make, why in result.vector.also:
                alternative = h11_read(make(result.vid) + followup(result.vid))
                if not judge(alternative, result.answer):
                    result.verdict = "lenient"
                    result.notes.append(why)
                    break
            else:
                result.notes.extend(problems)
                if result.vector.known and not args.strict:
                    result.verdict = "KNOWN"
                    result.notes.append("known finding: " + result.vector.known)
                else:
                    result.verdict = "FAIL"
        elif result.vector.known:
            result.verdict = "FAIL"
            result.notes.append("passes now: take its known mark off (" + result.vector.known + ")")
        else:
            result.verdict = "ok"

    rows = [
        (
            r.vector.name,
            describe_reading(r.reading, r.vid),
            describe_answer(r.answer, r.vid),
            {"closed": "yes", "reset": "reset", "open": "no"}[r.answer.closed],
            r.verdict,
        )
        for r in results
    ]
    header = ("vector", "h11", "atode", "closed", "verdict")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print()
    for result in results:
        if result.verdict != "ok" or args.verbose:
            for note in result.notes:
                print(f"{result.vector.name}: {result.verdict}: {note}")
            if args.verbose or result.verdict in ("FAIL", "KNOWN"):
                print(f"{result.vector.name}: bytes {result.vector.make(result.vid) + followup(result.vid)!r}")
                if result.reading.reason:
                    print(f"{result.vector.name}: h11: {result.reading.reason}")
    by_verdict = {v: [r.vector.name for r in results if r.verdict == v] for v in ("ok", "lenient", "KNOWN", "FAIL")}
    if by_verdict["lenient"]:
        print(f"lenient (passed; atode accepts what h11 refuses, harmlessly): {', '.join(by_verdict['lenient'])}")
    if by_verdict["KNOWN"]:
        print(f"known findings (not counted; --strict fails them): {', '.join(by_verdict['KNOWN'])}")
    if by_verdict["FAIL"]:
        print(f"failed: {', '.join(by_verdict['FAIL'])}")
    passed = len(by_verdict["ok"]) + len(by_verdict["lenient"])
    print(f"http1_framing: {passed} passed, {len(by_verdict['FAIL'])} failed")
    return 1 if by_verdict["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
