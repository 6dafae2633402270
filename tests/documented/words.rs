//! A documented command line split into words as a POSIX shell would:
//! the subset the examples' headers may use, and an error for the rest.

use std::collections::BTreeMap;

/// A line's words, and what follows its unquoted `#`.
#[derive(Debug, PartialEq)]
pub struct Words {
    pub words: Vec<String>,
    /// The trailing comment, without its `#`, trimmed.
    pub comment: Option<String>,
}

/// Splits `line`: whitespace between words, `'...'` literally, `"..."`
/// with `\"`, `\\` and `$VAR` inside, `\x` outside quotes, `$VAR` and
/// `${VAR}` from `env`. An operator the test does not run (`;`, `|`, `>`,
/// `<`, `&&`, a backquote) is an error, so a header cannot show one.
pub fn split(line: &str, env: &BTreeMap<String, String>) -> Result<Words, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '#' if word.is_none() => {
                let comment: String = chars.collect();
                return Ok(Words {
                    words,
                    comment: Some(comment.trim().to_owned()),
                });
            }
            '\'' => {
                let text = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => text.push(c),
                        None => return Err(format!("unclosed ' in {line:?}")),
                    }
                }
            }
            '"' => {
                let text = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$')) => text.push(c),
                            Some(c) => {
                                text.push('\\');
                                text.push(c);
                            }
                            None => return Err(format!("unclosed \" in {line:?}")),
                        },
                        Some('$') => text.push_str(&variable(&mut chars, env)?),
                        Some(c) => text.push(c),
                        None => return Err(format!("unclosed \" in {line:?}")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err(format!("a line ending in \\ continues nowhere: {line:?}")),
            },
            '$' => {
                let value = variable(&mut chars, env)?;
                word.get_or_insert_with(String::new).push_str(&value);
            }
            // Unquoted, `&` ends a command (runs it in the background),
            // wherever it is: a URL with a query is quoted in a shell.
            '&' => {
                if chars.peek() == Some(&'&') {
                    return Err(format!("`&&` is not run by the test: {line:?}"));
                }
                if let Some(done) = word.take() {
                    words.push(done);
                }
                words.push("&".to_owned());
            }
            ';' | '|' | '>' | '<' | '`' => {
                return Err(format!(
                    "`{c}` is not run by the test: write one command a line, without redirections ({line:?})"
                ));
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(done) = word.take() {
        words.push(done);
    }
    Ok(Words {
        words,
        comment: None,
    })
}

/// The value of the variable named after a `$`.
fn variable(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    env: &BTreeMap<String, String>,
) -> Result<String, String> {
    let braced = chars.peek() == Some(&'{');
    if braced {
        chars.next();
    }
    let mut name = String::new();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
            chars.next();
        } else {
            break;
        }
    }
    if braced && chars.next() != Some('}') {
        return Err(format!("unclosed ${{{name}"));
    }
    env.get(&name)
        .cloned()
        .ok_or_else(|| format!("${name} is not exported earlier in the header"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Words {
        let env = BTreeMap::from([("URL".to_owned(), "postgres://db".to_owned())]);
        split(line, &env).unwrap()
    }

    #[test]
    fn quotes_escapes_and_variables() {
        let split = words(r#"curl -H 'a: b c' "x \"y\" $URL" \' ${URL}/q # 204 done"#);
        assert_eq!(
            split.words,
            [
                "curl",
                "-H",
                "a: b c",
                "x \"y\" postgres://db",
                "'",
                "postgres://db/q"
            ]
        );
        assert_eq!(split.comment.as_deref(), Some("204 done"));
        assert_eq!(words("a#b").words, ["a#b"]);
        assert_eq!(
            words("curl -N http://x &").words,
            ["curl", "-N", "http://x", "&"]
        );
    }

    #[test]
    fn operators_are_refused() {
        let env = BTreeMap::new();
        for line in ["a; b", "a | b", "a > f", "a && b", "echo `x`", "$NOPE"] {
            assert!(split(line, &env).is_err(), "{line}");
        }
    }
}
