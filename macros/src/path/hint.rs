//! The messages about a path, each with its fix written out.

pub(super) fn no_leading_slash(path: &str) -> String {
    format!("a route path starts with `/`\nhelp: write \"/{path}\"")
}

/// A query string from `at` on.
pub(super) fn query(path: &str, at: usize) -> String {
    format!(
        "a route path cannot hold a query string (`{}`): a route matches the path alone, whatever the query\nhelp: write {:?}, and take the query with the `Query<T>` extractor",
        &path[at..],
        &path[..at]
    )
}

pub(super) fn empty_segment(path: &str) -> String {
    format!("the path {path:?} has an empty segment (`//`)\nhelp: remove one of the slashes")
}

/// `unclosed` runs from the `<` to the end of its segment.
pub(super) fn unclosed(unclosed: &str) -> String {
    format!("unclosed `<` in `{unclosed}`\nhelp: close the parameter with `>`")
}

/// A `>` after `before` in `segment`.
pub(super) fn stray_close(before: &str, segment: &str) -> String {
    let hint = if syn::parse_str::<syn::Ident>(before).is_ok() {
        format!("did you mean `<{before}>`?")
    } else {
        "parameters are written `<name>`; a literal `>` is `%3E`".to_owned()
    };
    format!("stray `>` in `{segment}`, with no `<` before it\nhelp: {hint}")
}

/// Why a brace, or `{name}`, cannot be in a route path.
pub(super) fn brace(text: &str) -> String {
    if text.len() > 1 {
        let inner = &text[1..text.len() - 1];
        let fixed = match inner.strip_prefix('*') {
            Some(name) => format!("<{name}..>"),
            None => format!("<{inner}>"),
        };
        return format!(
            "atode writes a path parameter as `{fixed}`, not `{text}`\nhelp: did you mean `{fixed}`?"
        );
    }
    let escaped = if text == "{" { "%7B" } else { "%7D" };
    format!(
        "`{text}` is reserved by the router, and clients send it percent-encoded\nhelp: write `{escaped}`"
    )
}

/// A `%` at `at` in `segment` that starts no escape.
pub(super) fn bare_percent(segment: &str, at: usize) -> String {
    let fixed = format!("{}%25{}", &segment[..at], &segment[at + 1..]);
    format!(
        "the `%` in `{segment}` does not start a percent-escape (`%` and two hex digits, such as `%20`)\nhelp: write a literal `%` as `%25`: `{fixed}`"
    )
}

/// `fragment` runs from the `#` to the end of the path.
pub(super) fn fragment(fragment: &str) -> String {
    format!(
        "a route path cannot hold a fragment (`{fragment}`): browsers never send it\nhelp: remove `{fragment}`"
    )
}

/// A character a client percent-encodes.
pub(super) fn unencoded(c: char, segment: &str) -> String {
    let mut buf = [0; 4];
    let escaped: String = c
        .encode_utf8(&mut buf)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let shown = if c == ' ' {
        "a space".to_owned()
    } else {
        format!("`{c}`")
    };
    format!(
        "{shown} cannot appear in a URL path as is (in `{segment}`)\nhelp: clients send it percent-encoded: write `{escaped}`"
    )
}

/// Why `name` is not a parameter name, with the name meant.
pub(super) fn bad_name(name: &str) -> String {
    if name.is_empty() {
        return "a parameter needs a name: `<>` is empty\nhelp: write `<id>`, naming a parameter of the handler".to_owned();
    }
    if name == "_" {
        return "`<_>` has no name, and a path parameter is bound by name\nhelp: name it after a parameter of the handler, such as `<id>`".to_owned();
    }
    if syn::parse_str::<syn::Ident>(&format!("r#{name}")).is_ok()
        || name == "self"
        || name == "Self"
    {
        return format!(
            "`<{name}>`: `{name}` is a Rust keyword, and cannot name a handler parameter\nhelp: pick another name, such as `<{name}_>`"
        );
    }
    let mut fixed: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if fixed.starts_with(|c: char| c.is_ascii_digit()) {
        fixed.insert(0, '_');
    }
    format!(
        "`<{name}>` is not a valid parameter name: it must be a Rust identifier, since it names a handler parameter\nhelp: did you mean `<{fixed}>`?"
    )
}

pub(super) fn two_params(segment: &str, count: usize) -> String {
    format!(
        "the segment `{segment}` has {count} parameters, and the router can match only one per segment\nhelp: separate them with `/`"
    )
}

/// `<rest..>` before the last segment.
pub(super) fn rest_not_last(param: &str) -> String {
    format!(
        "`{param}` takes the rest of the path, so it must be the last segment\nhelp: move it to the end, or make it a one-segment parameter `<{}>`",
        &param[1..param.len() - 3]
    )
}

/// `<rest..>` beside other text in `segment`.
pub(super) fn rest_not_whole(param: &str, segment: &str) -> String {
    format!(
        "`{param}` must be a whole segment: the router cannot match text beside it in `{segment}`\nhelp: put it in a segment of its own"
    )
}

pub(super) fn duplicate(name: &str, path: &str) -> String {
    format!(
        "the parameter `<{name}>` appears twice in {path:?}\nhelp: give each parameter its own name"
    )
}
