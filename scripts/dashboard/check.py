#!/usr/bin/env python3
"""Drives the task dashboard in headless Chromium, as an operator would.

    check.py --base http://127.0.0.1:PORT --token TOKEN [--screenshots DIR]

Chromium is driven over its DevTools protocol on a pipe
(--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-separated JSON), so
nothing but the standard library is needed. The operators' token goes in
an `Authorization` header on every request the page makes (pages, its
script, its EventSource, its actions), as a proxy in front would add it.

1. The overview loads, with its script and style, and its event stream
   says `live`.
2. A sign-up (sent from here, not from the page) queues a call; the page's
   count of waiting calls moves by one without the page being loaded again
   (the page has no polling loop: only its EventSource can move it).
3. The list of calls, filtered by its form (state and task), shows only
   such calls.
4. A call, opened from the list, shows its attempts' errors and its
   address hidden (`***`).
5. Retry, then Cancel: each button's answer is shown, and the call ends
   cancelled.
6. Every request the browser made went to the server under test.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

TIMEOUT = 20.0


def fail(message):
    print(f"dashboard check: {message}", file=sys.stderr)
    sys.exit(1)


class Browser:
    """Headless Chromium, one tab, spoken to over the DevTools pipe."""

    def __init__(self, base):
        self.base = base
        self.profile = tempfile.mkdtemp(prefix="atode-dashboard-chromium.")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        args = [
            "chromium",
            "--headless=new",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            "--no-first-run",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # Only the server under test is reachable.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=direct://",
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        self.process = subprocess.Popen(
            args,
            pass_fds=(3, 4),
            preexec_fn=fds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.command("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.command(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        self.requests = []
        for domain in ("Page", "Runtime", "Network"):
            self.command(f"{domain}.enable")

    def close(self):
        self.process.kill()
        self.process.wait()
        subprocess.run(["rm", "-rf", self.profile], check=False)

    def _read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                fail("Chromium closed its pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def command(self, method, params=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    fail(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if answer.get("method") == "Network.requestWillBeSent":
                self.requests.append(answer["params"]["request"]["url"])

    def evaluate(self, expression):
        result = self.command(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            fail(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, what, expression, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        fail(f"timed out waiting for {what} ({expression})")

    def load(self, path):
        self.command("Page.navigate", {"url": self.base + path})
        self.wait_ready()

    def wait_ready(self):
        # A new document: `complete`, and not the one before (its marker gone).
        self.wait_for(
            "the page to load",
            "document.readyState === 'complete' && !window.__checked",
        )
        self.evaluate("window.__checked = true")

    def size(self, width, height, mobile):
        self.command(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def screenshot(self, path):
        import base64

        data = self.command("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as file:
            file.write(base64.b64decode(data["data"]))
        print(f"dashboard check: wrote {path}")


def sign_up(base, email):
    request = urllib.request.Request(f"{base}/signup/{email}", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        if response.status != 200:
            fail(f"POST /signup/{email} answered {response.status}")


WAITING = (
    "['queued','scheduled','running','retrying']"
    ".map(s => +document.getElementById('count-' + s).textContent).reduce((a, b) => a + b, 0)"
)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--screenshots")
    args = parser.parse_args()
    base = args.base.rstrip("/")

    browser = Browser(base)
    try:
        browser.command(
            "Network.setExtraHTTPHeaders",
            {"headers": {"authorization": f"Bearer {args.token}"}},
        )
        browser.size(1280, 900, False)

        # 1. The overview, live.
        browser.load("/admin/tasks")
        browser.wait_for("the event stream", "document.getElementById('live').textContent === 'live'")
        style = browser.evaluate("getComputedStyle(document.body).maxWidth")
        if style != "1100px":
            fail(f"the style sheet did not apply (body max-width {style!r})")

        # 2. The live count moves when a request queues a call.
        browser.evaluate("window.__same_page = true")
        before = browser.evaluate(WAITING)
        sign_up(base, "grace@example.com")
        browser.wait_for("the live count to move", f"{WAITING} === {before + 1}")
        if not browser.evaluate("window.__same_page === true"):
            fail("the page was loaded again: only its events may move the count")
        print(f"dashboard check: waiting calls {before} -> {before + 1}, live")
        if args.screenshots:
            browser.screenshot(os.path.join(args.screenshots, "dashboard-overview.png"))

        # 3. Filter the calls with the page's form.
        browser.load("/admin/tasks/calls")
        browser.evaluate(
            "document.querySelector('select[name=state]').value = 'retrying';"
            "document.querySelector('input[name=task]').value = 'send_welcome';"
            "document.querySelector('form.filters').submit()"
        )
        browser.wait_ready()
        url = browser.evaluate("location.search")
        if "state=retrying" not in url or "task=send_welcome" not in url:
            fail(f"the form asked for {url!r}")
        listed = "[...document.querySelectorAll('#calls td[class^=state-]')].map(td => td.textContent)"
        states = browser.evaluate(listed)
        deadline = time.monotonic() + TIMEOUT
        while not states and time.monotonic() < deadline:
            # Each call is between two attempts nearly all the time; read
            # the page again if this was the instant all of them ran.
            time.sleep(0.2)
            browser.command("Page.reload")
            browser.wait_ready()
            states = browser.evaluate(listed)
        if not states or any(state != "retrying" for state in states):
            fail(f"the filtered list shows {states}")
        print(f"dashboard check: filtered list shows {len(states)} retrying call(s)")

        # 4. Open a call.
        browser.evaluate("document.querySelector('#calls a').click()")
        browser.wait_ready()
        args_text = browser.evaluate("document.getElementById('args').textContent")
        if "***" not in args_text or "@" in args_text:
            fail(f"the call's arguments show {args_text!r}, not the address hidden")
        errors = browser.evaluate("document.body.textContent.includes('Is a directory')")
        if not errors:
            fail("the call's page does not show its attempt's error")

        # 5. Retry now, then cancel.
        browser.evaluate("document.getElementById('retry').click()")
        browser.wait_for("retry's answer", "document.getElementById('notice').textContent.startsWith('retry: done')")
        browser.evaluate("document.getElementById('cancel').click()")
        browser.wait_for("cancel's answer", "document.getElementById('notice').textContent.startsWith('cancel: done')")
        deadline = time.monotonic() + TIMEOUT
        while browser.evaluate("document.getElementById('state').textContent") != "cancelled":
            if time.monotonic() > deadline:
                fail("the cancelled call never read `cancelled`")
            time.sleep(0.2)
            browser.command("Page.reload")
            browser.wait_ready()
        print("dashboard check: retried, then cancelled")
        if args.screenshots:
            browser.size(420, 900, True)
            browser.command("Page.reload")
            browser.wait_ready()
            browser.screenshot(os.path.join(args.screenshots, "dashboard-call.png"))

        # 6. Nothing but the server.
        # `data:` URLs are the browser's own (a date field's calendar icon),
        # not requests on the network.
        elsewhere = [
            url
            for url in browser.requests
            if not url.startswith(base + "/") and not url.startswith("data:")
        ]
        if elsewhere:
            fail(f"the pages asked for other origins: {elsewhere}")
        print(f"dashboard check: {len(browser.requests)} requests, all to {base}")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
