//! Running an example's documented commands as a user would type them:
//! each `cargo run` starts the compiled example (on a port the OS picks,
//! standing for the documented one), each `curl` asks it and compares the
//! answer with what the header says.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::BodyExt;
use tokio::sync::watch;

use super::curl::{self, Curl};
use super::expect::{self, Captures};
use super::header::{Expected, Step};
use crate::common::example::{Example, ScratchDir};
use crate::common::{GUARD, Http1, within};

/// How often a wait for something another process writes looks again.
const POLL: Duration = Duration::from_millis(25);

/// What a session ran, for the summary.
#[derive(Default, Debug)]
pub struct Counts {
    pub started: usize,
    pub curls: usize,
    pub sockets: usize,
    pub files: usize,
    pub kills: usize,
    /// Each command marked `# not checked: why`, with why.
    pub not_checked: Vec<String>,
}

/// One documented session of one example.
pub struct Session {
    example: String,
    /// Whether the example belongs to the root package (`-p atode-suite`).
    in_suite: bool,
    /// Where the commands are typed: the repository's root.
    root: PathBuf,
    dir: ScratchDir,
    jobs: Vec<Job>,
    exports: Vec<(String, String)>,
    captures: Captures,
    streams: Vec<Stream>,
    /// The database that a documented `postgres://...` stands for.
    postgres: Option<String>,
    pub counts: Counts,
}

/// A process `cargo run ... &` started.
struct Job {
    number: usize,
    /// `host:port` as documented, for one that serves.
    documented: Option<String>,
    example: Example,
}

/// A `curl ... &` or `websocat ... &`: what it prints as it arrives (and
/// whether it ended), checked at the end.
struct Stream {
    line: usize,
    /// Its first lines.
    expected: String,
    received: watch::Receiver<(Vec<u8>, bool)>,
}

impl Session {
    pub fn new(example: &str, in_suite: bool, root: &Path, postgres: Option<String>) -> Self {
        Session {
            example: example.to_owned(),
            in_suite,
            root: root.to_owned(),
            dir: ScratchDir::new(&format!("documented-{example}")),
            jobs: Vec::new(),
            exports: Vec::new(),
            captures: Captures::new(),
            streams: Vec::new(),
            postgres,
            counts: Counts::default(),
        }
    }

    /// Runs `steps`, then checks the streams and stops what still runs.
    pub async fn run(mut self, steps: Vec<Step>) -> Counts {
        for step in steps {
            self.step(step).await;
        }
        for stream in std::mem::take(&mut self.streams) {
            self.finish(stream).await;
        }
        for job in std::mem::take(&mut self.jobs) {
            job.example.terminate().await.assert_success();
        }
        self.counts
    }

    fn fail(&self, line: usize, what: impl std::fmt::Display) -> ! {
        panic!("examples/{}.rs, header line {line}: {what}", self.example)
    }

    async fn step(&mut self, step: Step) {
        match step {
            Step::Start {
                line,
                package,
                example,
                env,
                args,
            } => self.start(line, package, example, env, args).await,
            Step::Export { name, value } => self.exports.push((name, value)),
            Step::Curl {
                line,
                words,
                background,
                expected,
            } => {
                self.counts.curls += 1;
                let words: Vec<String> = words
                    .iter()
                    .map(|word| {
                        expect::substitute(word, &self.captures)
                            .unwrap_or_else(|error| self.fail(line, error))
                    })
                    .collect();
                let curl =
                    curl::parse(&words, &self.root).unwrap_or_else(|error| self.fail(line, error));
                if background {
                    self.background(line, curl, expected).await;
                } else {
                    self.curl(line, &curl, &expected).await;
                }
            }
            Step::Websocat {
                line,
                url,
                expected,
            } => {
                self.counts.sockets += 1;
                let url = expect::substitute(&url, &self.captures)
                    .unwrap_or_else(|error| self.fail(line, error));
                self.websocat(line, &url, expected).await;
            }
            Step::Cat {
                line,
                file,
                expected,
            } => {
                self.counts.files += 1;
                self.cat(line, &file, &expected).await;
            }
            Step::Ls {
                line,
                file,
                expected,
            } => {
                self.counts.files += 1;
                let shown = if self.dir.path().join(&file).exists() {
                    file.clone()
                } else {
                    format!("ls: cannot access '{file}': No such file or directory")
                };
                self.expect_text(line, &expected, &shown, "ls");
            }
            Step::Kill { line, job, printed } => {
                self.counts.kills += 1;
                self.kill(line, job, &printed).await;
            }
            Step::NotChecked { line, text, why } => {
                self.counts
                    .not_checked
                    .push(format!("line {line}: `{text}` ({why})"));
            }
        }
    }

    async fn start(
        &mut self,
        line: usize,
        package: Option<String>,
        example: String,
        env: Vec<(String, String)>,
        args: Vec<String>,
    ) {
        self.counts.started += 1;
        if example != self.example {
            self.fail(
                line,
                format!("`--example {example}` in the header of {}", self.example),
            );
        }
        let package_ok = match package.as_deref() {
            Some("atode-suite") => self.in_suite,
            Some("atode-examples") | None => !self.in_suite,
            Some(_) => false,
        };
        if !package_ok {
            self.fail(
                line,
                if self.in_suite {
                    "this example is the root package's (it needs an optional feature): `cargo run -p atode-suite --example ...`"
                } else {
                    "this example is atode-examples', which `cargo run --example ...` builds"
                },
            );
        }
        let mut documented = "127.0.0.1:8000".to_owned();
        let mut vars: Vec<(String, String)> = Vec::new();
        for (name, value) in self.exports.iter().chain(&env) {
            if name == "ATODE_ADDR" {
                documented.clone_from(value);
                continue;
            }
            let value = if value.starts_with("postgres://") {
                // A documented server stands for the test's own database.
                self.postgres.clone().unwrap_or_else(|| {
                    self.fail(
                        line,
                        "a documented postgres:// URL, and no PostgreSQL for the test",
                    )
                })
            } else {
                value.clone()
            };
            vars.retain(|(set, _)| set != name);
            vars.push((name.clone(), value));
        }
        let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // bash numbers a new job after the highest one still running.
        let number = self.jobs.iter().map(|job| job.number).max().unwrap_or(0) + 1;
        // A worker serves nothing: it never says where it listens.
        let (example, documented) = if args.first() == Some(&"worker") {
            let example = Example::spawn_with_args(&self.example, &self.dir, &vars, &args);
            (example, None)
        } else {
            if self
                .jobs
                .iter()
                .any(|job| job.documented.as_ref() == Some(&documented))
            {
                self.fail(line, format!("{documented} is served already"));
            }
            let example = Example::start_with_args(&self.example, &self.dir, &vars, &args).await;
            (example, Some(documented))
        };
        self.jobs.push(Job {
            number,
            documented,
            example,
        });
    }

    /// The address the example serving `authority` (as documented) listens on.
    fn serving(&self, line: usize, authority: &str) -> std::net::SocketAddr {
        self.jobs
            .iter()
            .find(|job| job.documented.as_deref() == Some(authority))
            .map(|job| job.example.addr)
            .unwrap_or_else(|| {
                self.fail(
                    line,
                    format!("nothing serves http://{authority} at this point"),
                )
            })
    }

    async fn curl(&mut self, line: usize, curl: &Curl, expected: &Expected) {
        let addr = self.serving(line, &curl.authority);
        let deadline = tokio::time::Instant::now() + GUARD;
        loop {
            let answer = fetch(addr, curl).await;
            match self.compare(curl, expected, &answer) {
                Ok(captures) => {
                    self.captures = captures;
                    return;
                }
                // `eventually`: asked again, as a user would, until so.
                Err(_) if expected.eventually && tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Err(mismatch) if expected.eventually => {
                    self.fail(line, format!("not so within {GUARD:?}: {mismatch}"))
                }
                Err(mismatch) => self.fail(line, mismatch),
            }
        }
    }

    /// The captures `answer` adds, or how it differs from `expected`.
    fn compare(
        &self,
        curl: &Curl,
        expected: &Expected,
        answer: &Answer,
    ) -> Result<Captures, String> {
        let shown = answer.shown(curl.shows_headers);
        let differs = |what: &str| {
            format!(
                "{what} differs from the header's\n--- documented\n{}\n--- answered\n{shown}",
                expected.shown()
            )
        };
        if answer.status != expected.status {
            return Err(differs("the status"));
        }
        let mut captures = self.captures.clone();
        for (name, pattern) in &expected.headers {
            let found = answer
                .headers
                .get_all(name.as_str())
                .iter()
                .find_map(|value| expect::matches(pattern, value.to_str().ok()?, &captures));
            match found {
                Some(more) => captures = more,
                None => return Err(differs(&format!("the header `{name}`"))),
            }
        }
        expect::matches(
            &expected.body,
            answer.body.trim_end_matches('\n'),
            &captures,
        )
        .ok_or_else(|| differs("the body"))
    }

    async fn background(&mut self, line: usize, curl: Curl, expected: Expected) {
        if expected.eventually || expected.body.split('\n').any(|line| line == "…") {
            self.fail(
                line,
                "a `curl ... &` shows the first lines it prints: no `eventually`, no line of `…`",
            );
        }
        let addr = self.serving(line, &curl.authority);
        let mut client = Http1::connect(addr).await;
        let response = client.send(curl.request(&curl.path_and_query)).await;
        if response.status() != expected.status {
            self.fail(
                line,
                format!(
                    "answered {}, documented {}",
                    response.status(),
                    expected.status
                ),
            );
        }
        let (sender, received) = watch::channel((Vec::new(), false));
        let mut body = response.into_body();
        tokio::spawn(async move {
            // Kept alive with the body: the connection ends with it.
            let _client = client;
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    sender.send_modify(|(bytes, _)| bytes.extend_from_slice(&data));
                }
            }
            sender.send_modify(|(_, ended)| *ended = true);
        });
        self.streams.push(Stream {
            line,
            expected: expected.body,
            received,
        });
    }

    /// `websocat URL &`: connects, and prints each text message on a line.
    async fn websocat(&mut self, line: usize, url: &str, expected: String) {
        let (authority, path) = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.find('/').map(|slash| rest.split_at(slash)))
            .unwrap_or_else(|| {
                self.fail(
                    line,
                    format!(
                        "{url}: the examples serve ws://{}:PORT/...",
                        curl::DOCUMENTED_HOST
                    ),
                )
            });
        let addr = self.serving(line, authority);
        let (socket, _) = within(
            "the WebSocket handshake",
            tokio_tungstenite::connect_async(format!("ws://{addr}{path}")),
        )
        .await
        .unwrap_or_else(|error| self.fail(line, format!("the handshake failed: {error}")));
        let (sender, received) = watch::channel((Vec::new(), false));
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut socket = socket;
            while let Some(Ok(message)) = socket.next().await {
                if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                    sender.send_modify(|(bytes, _)| {
                        bytes.extend_from_slice(text.as_bytes());
                        bytes.push(b'\n');
                    });
                }
            }
            sender.send_modify(|(_, ended)| *ended = true);
        });
        self.streams.push(Stream {
            line,
            expected,
            received,
        });
    }

    /// Waits for a stream's first lines, and compares them.
    async fn finish(&mut self, mut stream: Stream) {
        if stream.expected.split('\n').any(|line| line == "…") {
            self.fail(
                stream.line,
                "a command in the background shows the first lines it prints: no line of `…`",
            );
        }
        let lines = stream.expected.split('\n').count();
        let first = within(&format!("line {} to print its lines", stream.line), async {
            loop {
                let (text, ended) = {
                    let (bytes, ended) = &*stream.received.borrow_and_update();
                    (String::from_utf8_lossy(bytes).into_owned(), *ended)
                };
                let complete = text.matches('\n').count();
                if complete >= lines || ended {
                    let first: Vec<&str> = text.split('\n').take(lines).collect();
                    return first.join("\n");
                }
                if stream.received.changed().await.is_err() {
                    return text;
                }
            }
        })
        .await;
        match expect::matches(&stream.expected, &first, &self.captures) {
            Some(captures) => self.captures = captures,
            None => self.fail(
                stream.line,
                format!(
                    "the stream's first lines differ\n--- documented\n{}\n--- printed\n{first}",
                    stream.expected
                ),
            ),
        }
    }

    async fn cat(&mut self, line: usize, file: &str, expected: &str) {
        let path = self.dir.path().join(file);
        // Written by a task after a response, or by another process:
        // looked at until it holds what the header says.
        let found = tokio::time::timeout(GUARD, async {
            loop {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if let Some(captures) =
                    expect::matches(expected, text.trim_end_matches('\n'), &self.captures)
                {
                    return captures;
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await;
        match found {
            Ok(captures) => self.captures = captures,
            Err(_) => {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| format!("(cannot read {file}: {error})"));
                self.fail(
                    line,
                    format!("{file} never held what the header says within {GUARD:?}\n--- documented\n{expected}\n--- {file}\n{text}"),
                );
            }
        }
    }

    fn expect_text(&mut self, line: usize, expected: &str, shown: &str, what: &str) {
        match expect::matches(expected, shown, &self.captures) {
            Some(captures) => self.captures = captures,
            None => self.fail(
                line,
                format!("`{what}` printed\n{shown}\n--- documented\n{expected}"),
            ),
        }
    }

    async fn kill(&mut self, line: usize, number: usize, printed: &[String]) {
        let Some(at) = self.jobs.iter().position(|job| job.number == number) else {
            self.fail(line, format!("no job %{number} is running"));
        };
        let job = self.jobs.remove(at);
        let exit = job.example.terminate().await;
        if !exit.status.success() {
            self.fail(
                line,
                format!("exited with {}: {}", exit.status, exit.stderr),
            );
        }
        let logs = without_colors(&exit.stderr);
        for pattern in printed {
            if !logs
                .lines()
                .any(|log| expect::matches(pattern, log, &self.captures).is_some())
            {
                self.fail(
                    line,
                    format!(
                        "the process never printed a line like\n{pattern}\n--- it printed\n{logs}"
                    ),
                );
            }
        }
    }
}

/// What a request was answered, as curl shows it.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Answer {
    fn shown(&self, with_headers: bool) -> String {
        let mut shown = self.status.to_string();
        if with_headers {
            for (name, value) in &self.headers {
                shown.push_str(&format!(
                    "\n{name}: {}",
                    String::from_utf8_lossy(value.as_bytes())
                ));
            }
            shown.push('\n');
        }
        if !self.body.is_empty() {
            shown.push('\n');
            shown.push_str(&self.body);
        }
        shown
    }
}

impl Expected {
    fn shown(&self) -> String {
        let mut shown = format!(
            "{}{}",
            if self.eventually { "eventually " } else { "" },
            self.status
        );
        if !self.headers.is_empty() {
            for (name, value) in &self.headers {
                shown.push_str(&format!("\n{name}: {value}"));
            }
            shown.push('\n');
        }
        if !self.body.is_empty() {
            shown.push('\n');
            shown.push_str(&self.body);
        }
        shown
    }
}

/// One request on a connection of its own, as curl makes it; with `-L`,
/// the redirects followed.
async fn fetch(addr: std::net::SocketAddr, curl: &Curl) -> Answer {
    let mut target = curl.path_and_query.clone();
    for _ in 0..5 {
        let mut client = Http1::connect(addr).await;
        let response = client.send(curl.request(&target)).await;
        let (head, body) = response.into_parts();
        let bytes = within("the response body", body.collect())
            .await
            .expect("the body")
            .to_bytes();
        let redirect = head
            .headers
            .get(http::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .filter(|_| curl.follows_redirects && head.status.is_redirection());
        if let Some(location) = redirect {
            target = location.to_owned();
            continue;
        }
        let gzipped = head
            .headers
            .get(http::header::CONTENT_ENCODING)
            .is_some_and(|value| value == "gzip");
        let bytes = if curl.compressed && gzipped {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .expect("a gzip body");
            plain
        } else {
            bytes.to_vec()
        };
        return Answer {
            status: head.status.as_u16(),
            headers: head.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
    }
    panic!("more than 5 redirects from {}", curl.path_and_query);
}

/// `text` as a terminal shows it: without the ANSI colour sequences
/// tracing writes.
fn without_colors(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // `ESC [ ... letter`
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The root package's examples, from its `Cargo.toml`: those that
/// `cargo run` builds only with `-p atode-suite`.
pub fn suite_examples(root: &Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let mut names = Vec::new();
    let mut in_example = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_example = line == "[[example]]";
            continue;
        }
        match line.strip_prefix("name = ") {
            Some(name) if in_example => names.push(name.trim_matches('"').to_owned()),
            _ => {}
        }
    }
    names
}
