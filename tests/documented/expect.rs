//! Matching what a command printed against what its header says it
//! prints: text as written, but for two placeholders. `…` stands for any
//! text within a line (a line that is only `…` for any number of lines),
//! and `{name}` for a value that varies (an id): it matches any text within
//! a line, and later commands may use `{name}` for what it matched.

use std::collections::BTreeMap;

/// What the placeholders have matched so far, by name.
pub type Captures = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    /// `…` in a line.
    AnyText,
    /// `{name}`: one or more characters of a line.
    Capture(String),
}

/// `pattern` with each `{name}` already captured replaced by its value.
pub fn substitute(pattern: &str, captures: &Captures) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some((before, name, after)) = next_capture(rest) {
        out.push_str(before);
        match captures.get(name) {
            Some(value) => out.push_str(value),
            None => return Err(format!("{{{name}}} is used before any answer captured it")),
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether `actual` is what `pattern` says; the captures it adds if so.
pub fn matches(pattern: &str, actual: &str, captures: &Captures) -> Option<Captures> {
    let patterns: Vec<&str> = pattern.split('\n').collect();
    let lines: Vec<&str> = actual.split('\n').collect();
    let mut found = captures.clone();
    match_lines(&patterns, &lines, &mut found).then_some(found)
}

/// `{name}` where `name` is a word of lowercase letters, digits and `_`:
/// JSON's `{"` and a page's `{ }` are text.
fn next_capture(text: &str) -> Option<(&str, &str, &str)> {
    let mut from = 0;
    while let Some(open) = text[from..].find('{').map(|at| at + from) {
        let rest = &text[open + 1..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        if name_len > 0 && rest[name_len..].starts_with('}') {
            return Some((&text[..open], &rest[..name_len], &rest[name_len + 1..]));
        }
        from = open + 1;
    }
    None
}

/// Line by line; a pattern line that is only `…` takes any number of lines.
fn match_lines(patterns: &[&str], lines: &[&str], captures: &mut Captures) -> bool {
    let Some((pattern, rest)) = patterns.split_first() else {
        return lines.is_empty();
    };
    if *pattern == "…" {
        return (0..=lines.len()).any(|skip| {
            let mut tried = captures.clone();
            let found = match_lines(rest, &lines[skip..], &mut tried);
            if found {
                *captures = tried;
            }
            found
        });
    }
    let Some((line, later)) = lines.split_first() else {
        return false;
    };
    let mut tried = captures.clone();
    if walk(&tokens(pattern, captures), line, &mut tried) && match_lines(rest, later, &mut tried) {
        *captures = tried;
        return true;
    }
    false
}

/// One line of a pattern.
fn tokens(line: &str, captures: &Captures) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (i, part) in line.split('…').enumerate() {
        if i > 0 {
            tokens.push(Token::AnyText);
        }
        let mut rest = part;
        while let Some((before, name, after)) = next_capture(rest) {
            text(&mut tokens, before);
            match captures.get(name) {
                // Captured by an earlier answer: the same value again.
                Some(value) => text(&mut tokens, value),
                None => tokens.push(Token::Capture(name.to_owned())),
            }
            rest = after;
        }
        text(&mut tokens, rest);
    }
    tokens
}

fn text(tokens: &mut Vec<Token>, text: &str) {
    if text.is_empty() {
        return;
    }
    match tokens.last_mut() {
        Some(Token::Text(last)) => last.push_str(text),
        _ => tokens.push(Token::Text(text.to_owned())),
    }
}

/// One line, backtracking, shortest match first for each placeholder.
fn walk(tokens: &[Token], line: &str, captures: &mut Captures) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        return line.is_empty();
    };
    match token {
        Token::Text(text) => line
            .strip_prefix(text.as_str())
            .is_some_and(|after| walk(rest, after, captures)),
        Token::AnyText | Token::Capture(_) => {
            let least = usize::from(matches!(token, Token::Capture(_)));
            for end in (least..=line.len()).filter(|end| line.is_char_boundary(*end)) {
                let mut tried = captures.clone();
                if let Token::Capture(name) = token {
                    tried.insert(name.clone(), line[..end].to_owned());
                }
                if walk(rest, &line[end..], &mut tried) {
                    *captures = tried;
                    return true;
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, actual: &str) -> Option<Captures> {
        matches(pattern, actual, &Captures::new())
    }

    #[test]
    fn text_matches_itself_only() {
        assert!(check(r#"{"a":1}"#, r#"{"a":1}"#).is_some());
        assert!(check(r#"{"a":1}"#, r#"{"a":2}"#).is_none());
        assert!(check("a", "a\n").is_none());
    }

    #[test]
    fn an_ellipsis_is_any_text_within_a_line() {
        assert!(check(r#"{"id":1,…}"#, r#"{"id":1,"size":20}"#).is_some());
        assert!(check("a…c", "a\nc").is_none());
        assert!(check("…", "").is_some());
    }

    #[test]
    fn a_line_of_ellipsis_is_any_lines() {
        assert!(check("a\n…", "a\nb\nc").is_some());
        assert!(check("a\n…", "a").is_some());
        assert!(check("a\n…\nz", "a\nb\nc\nz").is_some());
        assert!(check("a\n…\nz", "a\nz").is_some());
        assert!(check("a\n…\nz", "a\nb\ny").is_none());
    }

    #[test]
    fn a_capture_is_kept_and_must_repeat() {
        let found = check(r#"{"task_id":"{task_id}"}"#, r#"{"task_id":"0190-ab"}"#).unwrap();
        assert_eq!(found["task_id"], "0190-ab");
        assert!(matches(r#"{"id":"{task_id}"}"#, r#"{"id":"0190-ab"}"#, &found).is_some());
        assert!(matches(r#"{"id":"{task_id}"}"#, r#"{"id":"other"}"#, &found).is_none());
        assert_eq!(
            substitute("/tasks/{task_id}", &found).unwrap(),
            "/tasks/0190-ab"
        );
        assert!(substitute("/tasks/{other}", &found).is_err());
        assert!(check("{id}", "").is_none());
    }
}
