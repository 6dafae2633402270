#!/usr/bin/env python3
"""Checks what headless Chromium saw of a Swagger UI page (scripts/openapi/docs_render.sh).

    docs_check.py --origin http://127.0.0.1:PORT --openapi FILE --dom FILE --netlog FILE
    docs_check.py --origin http://docs.atode.test:PORT --server 127.0.0.1:PORT ...

1. The rendered DOM (chromium --dump-dom) shows every path of the OpenAPI
   document: Swagger UI renders each operation's path in an element of class
   `opblock-summary-path` (`opblock-summary-path__deprecated` for a
   deprecated one) with the path in its `data-path` attribute. Swagger
   UI's own error box (`errors-wrapper`) must be absent.
2. The NetLog (chromium --log-net-log) shows what was requested. The page's
   own requests (the navigation, and every request whose initiator is the
   page's origin) must all go to ORIGIN, to one of the paths the server
   serves for the docs (/docs, its assets, /openapi.json), and must all have
   been answered 2xx/304. Chromium's own background requests (update checks,
   account lookups: initiator "not an origin") are listed apart; the browser
   runs with every host but 127.0.0.1 mapped to ~NOTFOUND, and this checks
   that none of them, nor anything else, opened a TCP connection or sent a
   UDP datagram to any address but the server's (SERVER, by default ORIGIN's
   host and port), nor sent a DNS query.

Standard library only: it runs with the system python3.
"""

import argparse
import html.parser
import json
import re
import sys
import urllib.parse

DOCS_ASSETS = (
    "swagger-ui.css",
    "index.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-16x16.png",
    "favicon-32x32.png",
)
ALLOWED_PATHS = {"/docs", "/openapi.json"} | {"/docs/" + asset for asset in DOCS_ASSETS}
# Without these the page cannot have rendered; their absence from the log
# means the log is not what it seems.
REQUIRED_PATHS = ("/docs", "/openapi.json", "/docs/swagger-ui-bundle.js")


class DomScan(html.parser.HTMLParser):
    """Collects the data-path of each opblock-summary-path, the text of the
    info title and of any errors-wrapper."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paths = []
        self.title = []
        self.errors = []
        self._capture = []  # stack of (tag, list to append text to or None)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        # A deprecated operation's path has a class of its own.
        path_classes = {"opblock-summary-path", "opblock-summary-path__deprecated"}
        if path_classes & set(classes) and "data-path" in attrs:
            self.paths.append(attrs["data-path"])
        target = None
        if "errors-wrapper" in classes:
            target = self.errors
        elif tag == "h2" and "title" in classes and not self.title:
            target = self.title
        if target is not None or self._capture:
            if tag in ("br", "img", "input", "link", "meta", "hr", "wbr", "source"):
                return
            self._capture.append((tag, target if target is not None else self._capture[-1][1]))

    def handle_endtag(self, tag):
        if self._capture and self._capture[-1][0] == tag:
            self._capture.pop()

    def handle_data(self, data):
        if self._capture:
            self._capture[-1][1].append(data)


def load_netlog(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # A NetLog whose browser did not close it ends inside "events": [...
        repaired = text.rstrip().rstrip(",") + "]}"
        return json.loads(repaired)


def check_dom(args, document):
    failures = []
    with open(args.dom, encoding="utf-8", errors="replace") as f:
        dom = f.read()
    scan = DomScan()
    scan.feed(dom)
    expected = list(document.get("paths") or {})
    seen = sorted(set(scan.paths), key=scan.paths.index)
    title = " ".join("".join(scan.title).split())
    print(f"docs: page title {title!r}; {len(scan.paths)} operations rendered; paths seen:")
    for path in seen:
        print(f"  {path}")
    if not expected:
        failures.append("the document has no paths, so the page shows nothing to check")
    missing = [path for path in expected if path not in seen]
    if missing:
        failures.append("paths of /openapi.json not rendered by /docs: " + ", ".join(missing))
    unexpected = [path for path in seen if path not in expected]
    if unexpected:
        failures.append("paths rendered that /openapi.json does not have: " + ", ".join(unexpected))
    errors = " ".join("".join(scan.errors).split())
    if errors:
        failures.append(f"Swagger UI shows errors: {errors}")
    info_title = (document.get("info") or {}).get("title")
    if info_title and info_title not in title:
        failures.append(f"page title {title!r} does not show info.title {info_title!r}")
    return failures


def is_loopback_of(address, host, port):
    """Whether a NetLog address "IP:PORT" / "[IPv6]:PORT" is ORIGIN's."""
    match = re.fullmatch(r"\[?([^\]]*)\]?:(\d+)", address or "")
    return bool(match) and match.group(1) == host and int(match.group(2)) == port


def check_netlog(args):
    failures = []
    origin = urllib.parse.urlsplit(args.origin)
    server = urllib.parse.urlsplit("//" + args.server)
    host, port = server.hostname, server.port
    netlog = load_netlog(args.netlog)
    names = {value: name for name, value in netlog["constants"]["logEventTypes"].items()}
    requests = {}  # source id -> dict(url, initiator, request_type, method)
    statuses = {}  # source id -> status code
    errors = {}  # source id -> net error
    connects = []  # (event, address)
    udp_sent = []  # (source id)
    udp_peer = {}  # source id -> address
    dns = []
    for event in netlog["events"]:
        name = names.get(event["type"], str(event["type"]))
        params = event.get("params") or {}
        source = event["source"]["id"]
        if name == "URL_REQUEST_START_JOB" and "url" in params:
            requests.setdefault(
                source,
                {
                    "url": params["url"],
                    "initiator": params.get("initiator"),
                    "request_type": params.get("request_type"),
                    "method": params.get("method"),
                },
            )
        elif name in ("HTTP_TRANSACTION_READ_RESPONSE_HEADERS", "HTTP_TRANSACTION_READ_EARLY_HINTS_RESPONSE_HEADERS"):
            headers = params.get("headers") or []
            status = None
            if headers and re.match(r"HTTP/\S+ \d{3}", headers[0]):
                status = int(headers[0].split()[1])
            for line in headers:
                if line.startswith(":status: "):
                    status = int(line.split()[1])
            if status is not None and name == "HTTP_TRANSACTION_READ_RESPONSE_HEADERS":
                statuses[source] = status
        elif name in ("URL_REQUEST_START_JOB", "REQUEST_ALIVE") and "net_error" in params:
            errors[source] = params["net_error"]
        elif name in ("TCP_CONNECT_ATTEMPT", "TCP_CONNECT_JOB_CONNECTOR_CONNECT_START") and params.get("address"):
            connects.append((name, params["address"]))
        elif name == "TCP_CONNECT" and params.get("remote_address"):
            connects.append((name, params["remote_address"]))
        elif name == "UDP_CONNECT" and params.get("address"):
            udp_peer[source] = params["address"]
        elif name == "UDP_BYTES_SENT":
            udp_sent.append(source)
        elif name.startswith("DNS_TRANSACTION"):
            dns.append(name)

    page, browser = [], []
    for source, request in sorted(requests.items()):
        from_page = request["initiator"] == args.origin or (
            request["request_type"] == "main frame" and request["url"] == args.start_url
        )
        (page if from_page else browser).append((source, request))

    print(f"docs: the page requested ({len(page)}):")
    served_paths = set()
    for source, request in page:
        url = urllib.parse.urlsplit(request["url"])
        status = statuses.get(source)
        error = errors.get(source)
        outcome = f"{status}" if status is not None else ("no response" if error else "cache")
        if error:
            outcome += f" net_error {error}"
        print(f"  {request['method']} {request['url']} -> {outcome}")
        if (url.scheme, url.hostname, url.port) != (origin.scheme, origin.hostname, origin.port):
            failures.append(f"the page requested {request['url']}, which is not on {args.origin}")
        elif url.path not in ALLOWED_PATHS or url.query:
            failures.append(f"the page requested {request['url']}, which the server does not serve for the docs")
        else:
            served_paths.add(url.path)
        if error:
            failures.append(f"{request['url']} failed: net_error {error}")
        elif status is not None and not (200 <= status < 300 or status == 304):
            failures.append(f"{request['url']} was answered {status}")
    for path in REQUIRED_PATHS:
        if path not in served_paths:
            failures.append(f"the page never requested {path}: the NetLog is not of this page, or the page is broken")

    print(f"docs: Chromium's own background requests, kept off the network by --host-resolver-rules ({len(browser)}):")
    for source, request in browser:
        print(f"  {request['method']} {request['url'][:100]} -> net_error {errors.get(source)}")
        if errors.get(source) is None and statuses.get(source) is not None:
            failures.append(f"Chromium's own request {request['url']} got an answer ({statuses[source]})")

    for name, address in connects:
        if not is_loopback_of(address, host, port):
            failures.append(f"Chromium connected to {address} ({name}), not to {host}:{port}")
    for source in udp_sent:
        address = udp_peer.get(source, "?")
        if not is_loopback_of(address, host, port):
            failures.append(f"Chromium sent a UDP datagram to {address}")
    if dns:
        failures.append(f"Chromium sent DNS queries ({len(dns)} DNS_TRANSACTION events)")
    print(f"docs: connections opened: {sorted(set(a for _, a in connects))}; UDP datagrams sent: {len(udp_sent)}; DNS transactions: {len(dns)}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--origin", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--server", help="HOST:PORT the server listens on (default ORIGIN's)")
    parser.add_argument("--start-url", help="the URL Chromium was pointed at (default ORIGIN/docs)")
    parser.add_argument("--openapi", required=True, help="the OpenAPI document, as served")
    parser.add_argument("--dom", required=True, help="chromium --dump-dom output")
    parser.add_argument("--netlog", required=True, help="chromium --log-net-log output")
    args = parser.parse_args()
    args.origin = args.origin.rstrip("/")
    args.start_url = args.start_url or args.origin + "/docs"
    args.server = args.server or urllib.parse.urlsplit(args.origin).netloc
    with open(args.openapi, encoding="utf-8") as f:
        document = json.load(f)
    failures = check_dom(args, document) + check_netlog(args)
    if failures:
        print("docs: FAILED", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(f"docs: OK: all {len(document['paths'])} paths rendered; every request of the page was to {args.origin} and served")
    return 0


if __name__ == "__main__":
    sys.exit(main())
