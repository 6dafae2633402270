//! An example's header (its `//!` doc) read as the commands it documents:
//! the lines of its ```` ```sh ```` blocks, each command with what it is
//! said to print.
//!
//! The convention, checked line by line:
//!
//! - `cargo run [-p atode-suite] --example NAME [-- ARGS] [&]`, maybe after
//!   `VAR=value`s; `export VAR=value`.
//! - `curl ... URL [&]`, the next line `# STATUS`, `# STATUS BODY` or
//!   `# eventually STATUS ...` (asked again until it is so), then more
//!   `#` lines: the body's further lines, or with `-i`/`-I` the headers
//!   that must be there, a lone `#`, and the body. `…` stands for any text
//!   in a line (alone on a line: any lines), `{name}` for a value that
//!   varies, which later commands may use.
//! - `websocat URL &`, then the first messages it prints, one a line.
//! - `cat FILE` then its lines; `ls FILE` then `# FILE`; `kill %N` then
//!   lines the process must have printed (its logs), if any.
//! - Any other command carries `# not checked: why`, and is counted.
//! - A `#` line after a blank line, or after a command's lines, is prose.

use std::collections::BTreeMap;

use super::words;

/// One step of an example's documented session.
#[derive(Debug)]
pub enum Step {
    /// `cargo run ... --example NAME`.
    Start {
        line: usize,
        package: Option<String>,
        example: String,
        env: Vec<(String, String)>,
        args: Vec<String>,
    },
    /// `export VAR=value`.
    Export { name: String, value: String },
    /// `curl ...`, with its flags and URL still to read.
    Curl {
        line: usize,
        words: Vec<String>,
        background: bool,
        expected: Expected,
    },
    /// `websocat URL &`: a WebSocket client, printing these messages first.
    Websocat {
        line: usize,
        url: String,
        expected: String,
    },
    /// `cat FILE`: the file, eventually holding these lines.
    Cat {
        line: usize,
        file: String,
        expected: String,
    },
    /// `ls FILE`.
    Ls {
        line: usize,
        file: String,
        expected: String,
    },
    /// `kill %N`: SIGTERM, then a clean exit having printed these lines.
    Kill {
        line: usize,
        job: usize,
        printed: Vec<String>,
    },
    /// A command with `# not checked: why`.
    NotChecked {
        line: usize,
        text: String,
        why: String,
    },
}

/// What a `curl` is said to print.
#[derive(Debug, Default)]
pub struct Expected {
    pub status: u16,
    /// Asked again until the answer is this.
    pub eventually: bool,
    /// `name: value` lines (with `-i` or `-I`).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A command line of the header (continuations joined), and the `#`
/// lines right after it.
struct Command {
    line: usize,
    text: String,
    said: Vec<String>,
}

/// The steps of `source`'s header, or what breaks the convention.
pub fn parse(source: &str) -> Result<Vec<Step>, String> {
    let mut env = BTreeMap::new();
    let mut steps = Vec::new();
    for command in commands(source)? {
        let at = |error: String| format!("header line {}: {error}", command.line);
        let step = step(command.line, &command.text, command.said, &env).map_err(at)?;
        if let Step::Export { name, value } = &step {
            env.insert(name.clone(), value.clone());
        }
        steps.push(step);
    }
    Ok(steps)
}

/// The commands of the ```` ```sh ```` blocks of the `//!` header.
fn commands(source: &str) -> Result<Vec<Command>, String> {
    let mut commands: Vec<Command> = Vec::new();
    let mut in_block = false;
    // Whether `#` lines still belong to the last command.
    let mut saying = false;
    let mut pending: Option<Command> = None;
    for (i, raw) in source.lines().enumerate() {
        let Some(doc) = raw.strip_prefix("//!") else {
            break;
        };
        let line = doc.strip_prefix(' ').unwrap_or(doc);
        if !in_block {
            in_block = line.trim() == "```sh";
            continue;
        }
        if let Some(command) = &mut pending {
            // The continuation of a line that ended in `\`.
            let more = line.trim();
            let (more, continues) = match more.strip_suffix('\\') {
                Some(more) => (more, true),
                None => (more, false),
            };
            command.text.push(' ');
            command.text.push_str(more.trim_end());
            if !continues {
                commands.extend(pending.take());
                saying = true;
            }
            continue;
        }
        if line.trim() == "```" {
            in_block = false;
            saying = false;
            continue;
        }
        if line.trim().is_empty() {
            saying = false;
        } else if let Some(said) = line.strip_prefix('#') {
            if saying {
                let said = said.strip_prefix(' ').unwrap_or(said);
                if let Some(last) = commands.last_mut() {
                    last.said.push(said.to_owned());
                }
            }
        } else {
            let (text, continues) = match line.trim_end().strip_suffix('\\') {
                Some(text) => (text.trim_end().to_owned(), true),
                None => (line.trim_end().to_owned(), false),
            };
            let command = Command {
                line: i + 1,
                text,
                said: Vec::new(),
            };
            if continues {
                pending = Some(command);
            } else {
                commands.push(command);
                saying = true;
            }
        }
    }
    if in_block || pending.is_some() {
        return Err("the header's ```sh block is not closed".to_owned());
    }
    Ok(commands)
}

fn step(
    line: usize,
    text: &str,
    said: Vec<String>,
    env: &BTreeMap<String, String>,
) -> Result<Step, String> {
    let split = words::split(text, env)?;
    if let Some(why) = split
        .comment
        .as_deref()
        .and_then(|comment| comment.strip_prefix("not checked:"))
    {
        if !said.is_empty() {
            return Err("a command that is not checked is said to print nothing".to_owned());
        }
        return Ok(Step::NotChecked {
            line,
            text: split.words.join(" "),
            why: why.trim().to_owned(),
        });
    }
    let mut words = split.words;
    let background = words.last().is_some_and(|last| last == "&");
    if background {
        words.pop();
    }
    if words.iter().any(|word| word == "&") {
        return Err("`&` ends a line, or is not written".to_owned());
    }
    let Some(name) = words.first().cloned() else {
        return Err("an empty command".to_owned());
    };
    let plain = |what: &str| {
        if background {
            Err(format!("`{what} &` is not run by the test"))
        } else {
            Ok(())
        }
    };
    let no_output = |what: &str| {
        if said.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "`{what}` prints nothing: the `#` lines after it belong to no command (leave a blank line before prose)"
            ))
        }
    };
    match name.as_str() {
        "export" => {
            plain("export")?;
            no_output("export")?;
            let [_, assignment] = words.as_slice() else {
                return Err("write one `export VAR=value` a line".to_owned());
            };
            let (name, value) = assignment
                .split_once('=')
                .ok_or_else(|| format!("`export {assignment}` sets nothing"))?;
            Ok(Step::Export {
                name: name.to_owned(),
                value: value.to_owned(),
            })
        }
        "curl" => Ok(Step::Curl {
            line,
            expected: expected(&words, said)?,
            words,
            background,
        }),
        "websocat" => {
            let [_, url] = words.as_slice() else {
                return Err("`websocat` takes one URL".to_owned());
            };
            if !background {
                return Err("`websocat URL &`: it reads what you type, which the test does not; in the background it prints what the server sends".to_owned());
            }
            if said.is_empty() {
                return Err("`websocat` is said to print nothing: write the messages it prints on the `#` lines after it".to_owned());
            }
            Ok(Step::Websocat {
                line,
                url: url.clone(),
                expected: said.join("\n"),
            })
        }
        "cat" | "ls" => {
            plain(&name)?;
            let [_, file] = words.as_slice() else {
                return Err(format!("`{name}` takes one file"));
            };
            if said.is_empty() {
                return Err(format!(
                    "`{name} {file}` is said to print nothing: write what it prints on the `#` lines after it"
                ));
            }
            let (file, expected) = (file.clone(), said.join("\n"));
            Ok(if name == "cat" {
                Step::Cat {
                    line,
                    file,
                    expected,
                }
            } else {
                Step::Ls {
                    line,
                    file,
                    expected,
                }
            })
        }
        "kill" => {
            plain("kill")?;
            let job = match words.as_slice() {
                [_, job] => job.strip_prefix('%').and_then(|n| n.parse().ok()),
                _ => None,
            };
            let job = job.ok_or("write `kill %N`, N the job `&` started")?;
            Ok(Step::Kill {
                line,
                job,
                printed: said,
            })
        }
        _ => start(line, words, said),
    }
}

/// `VAR=value ... cargo run [-p PACKAGE] --example NAME [-- ARGS]`.
fn start(line: usize, words: Vec<String>, said: Vec<String>) -> Result<Step, String> {
    let mut words = words.into_iter().peekable();
    let mut env = Vec::new();
    while let Some((name, value)) = words.peek().and_then(|word| {
        let (name, value) = word.split_once('=')?;
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        is_name.then(|| (name.to_owned(), value.to_owned()))
    }) {
        env.push((name, value));
        words.next();
    }
    let rest: Vec<String> = words.collect();
    if rest.len() < 2 || rest[0] != "cargo" || rest[1] != "run" {
        return Err(format!(
            "`{}` is not a command the test runs (cargo run, export, curl, websocat, cat, ls, kill): end it with `# not checked: why`",
            rest.join(" ")
        ));
    }
    if !said.is_empty() {
        return Err("`cargo run` is said to print something the test does not check: leave a blank line before prose".to_owned());
    }
    let (mut package, mut example, mut args) = (None, None, Vec::new());
    let mut flags = rest[2..].iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "-p" | "--package" => package = flags.next().cloned(),
            "--example" => example = flags.next().cloned(),
            "--" => {
                args = flags.by_ref().cloned().collect();
            }
            other => return Err(format!("`cargo run {other}` is not run by the test")),
        }
    }
    Ok(Step::Start {
        line,
        package,
        example: example.ok_or("`cargo run` without `--example NAME`")?,
        env,
        args,
    })
}

/// What the `#` lines after a `curl` say it prints.
fn expected(words: &[String], said: Vec<String>) -> Result<Expected, String> {
    let mut said = said.into_iter();
    let first = said
        .next()
        .ok_or("a `curl` is followed by `# STATUS` (and its body): what it answers")?;
    let (eventually, first) = match first.strip_prefix("eventually ") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, first),
    };
    let (status, inline) = match first.split_once(' ') {
        Some((status, body)) => (status, Some(body.to_owned())),
        None => (first.as_str(), None),
    };
    let status: u16 = status
        .parse()
        .ok()
        .filter(|status| (100..600).contains(status))
        .ok_or_else(|| format!("`# {first}` does not start with a status (`# 200 ...`)"))?;
    // `-i`, `-I`, or a cluster of curl's one-letter switches with one.
    let shows_headers = words.iter().any(|word| {
        word == "--include"
            || word == "--head"
            || word.strip_prefix('-').is_some_and(|letters| {
                !letters.is_empty()
                    && letters.chars().all(|c| super::curl::SWITCHES.contains(c))
                    && letters.contains(['i', 'I'])
            })
    });
    let mut expected = Expected {
        status,
        eventually,
        ..Expected::default()
    };
    let mut body: Vec<String> = inline.into_iter().collect();
    if shows_headers {
        if !body.is_empty() {
            return Err(
                "with `-i`, the headers come before the body: `# 200`, headers, `#`, body"
                    .to_owned(),
            );
        }
        for line in said.by_ref() {
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("`# {line}` is no header (`name: value`)"))?;
            expected
                .headers
                .push((name.trim().to_lowercase(), value.trim().to_owned()));
        }
    }
    body.extend(said);
    expected.body = body.join("\n");
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(lines: &[&str]) -> String {
        let mut source: Vec<String> = vec!["//! Text.".into(), "//!".into(), "//! ```sh".into()];
        source.extend(lines.iter().map(|line| format!("//! {line}")));
        source.push("//! ```".into());
        source.push("".into());
        source.push("fn main() {}".into());
        source.join("\n")
    }

    #[test]
    fn reads_commands_with_what_they_print() {
        let steps = parse(&header(&[
            "cargo run -p atode-suite --example echo -- web &",
            "curl -i -X POST http://127.0.0.1:8000/items -H 'a: b' \\",
            "     -d '{\"x\": 1}'",
            "# 201",
            "# location: /items/1",
            "#",
            "# {\"id\":{id}}",
            "# second line",
            "",
            "# prose",
            "websocat ws://127.0.0.1:8000/   # not checked: a WebSocket client",
            "cat log.txt",
            "# one",
            "kill %1",
        ]))
        .unwrap();
        assert_eq!(steps.len(), 5, "{steps:#?}");
        let Step::Start { package, args, .. } = &steps[0] else {
            panic!("{steps:?}")
        };
        assert_eq!(
            (package.as_deref(), args.as_slice()),
            (Some("atode-suite"), &["web".to_owned()][..])
        );
        let Step::Curl {
            words, expected, ..
        } = &steps[1]
        else {
            panic!("{steps:?}")
        };
        assert_eq!(words.last().unwrap(), "{\"x\": 1}");
        assert_eq!(expected.status, 201);
        assert_eq!(
            expected.headers,
            [("location".to_owned(), "/items/1".to_owned())]
        );
        assert_eq!(expected.body, "{\"id\":{id}}\nsecond line");
        assert!(matches!(&steps[2], Step::NotChecked { why, .. } if why == "a WebSocket client"));
        assert!(matches!(&steps[3], Step::Cat { expected, .. } if expected == "one"));
        assert!(matches!(&steps[4], Step::Kill { job: 1, printed, .. } if printed.is_empty()));
    }

    #[test]
    fn a_command_says_what_it_prints_or_is_marked() {
        for (lines, error) in [
            (
                &["curl http://127.0.0.1:8000/"][..],
                "is followed by `# STATUS`",
            ),
            (
                &["curl http://127.0.0.1:8000/", "# OK"][..],
                "does not start with a status",
            ),
            (
                &["websocat ws://127.0.0.1:8000/"][..],
                "it reads what you type",
            ),
            (
                &["bash scripts/autobahn.sh"][..],
                "end it with `# not checked: why`",
            ),
            (&["cat log.txt"][..], "is said to print nothing"),
            (
                &["curl -i http://x/", "# 200 body"][..],
                "the headers come before the body",
            ),
            (
                &["cargo run --example x", "# serves"][..],
                "leave a blank line before prose",
            ),
            (&["curl http://x/ | jq"][..], "is not run by the test"),
        ] {
            let found = parse(&header(lines)).unwrap_err();
            assert!(found.contains(error), "{lines:?}: {found}");
        }
    }
}
