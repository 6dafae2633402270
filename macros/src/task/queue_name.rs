//! The names a queue may have. A worker is started for the queues it
//! works, by name, and the queue engine (River) refuses other names at
//! run time; checked here, a bad name is a compile error instead.

/// The longest queue name the queue engine accepts, in characters.
const MAX_LEN: usize = 128;

/// What a queue name is, for the `help:` under a mistake.
pub(crate) const RULE: &str = "a queue name is 1 to 128 ASCII letters, digits, `_` and `-`, as in `\"mail\"` or `\"mail-high\"`";

/// Whether `c` may appear in a queue name.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `Ok` for a name a queue may have, or what is wrong with `name`.
pub(crate) fn check(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the queue name is empty".to_owned());
    }
    if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        let shown = if c == ' ' {
            "a space".to_owned()
        } else {
            format!("`{}`", c.escape_debug())
        };
        return Err(format!(
            "the queue name {name:?} has {shown}, which a queue name cannot have: did you mean {:?}?",
            fixed(name)
        ));
    }
    let len = name.len();
    if len > MAX_LEN {
        return Err(format!(
            "the queue name is {len} characters long; the longest a queue name can be is {MAX_LEN}"
        ));
    }
    Ok(())
}

/// `name` with each character a queue name cannot have replaced by `_`.
fn fixed(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .take(MAX_LEN)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_underscores_and_dashes() {
        for name in ["mail", "default", "Mail_2", "mail-high", "_", "-", "a1"] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
        assert_eq!(check(&"q".repeat(MAX_LEN)), Ok(()));
    }

    #[test]
    fn refuses_other_characters_and_suggests_a_name() {
        let error = check("my queue").unwrap_err();
        assert!(error.contains("has a space"), "{error}");
        assert!(error.contains(r#"did you mean "my_queue"?"#), "{error}");
        assert!(check("mail.high").unwrap_err().contains("`.`"));
        assert!(check("mail/high").unwrap_err().contains(r#""mail_high""#));
        assert!(check("café").unwrap_err().contains("`é`"));
        assert!(check("tab\there").unwrap_err().contains(r"`\t`"));
        // Padding is dropped from the suggestion, not turned into `_`.
        assert!(
            check(" mail ")
                .unwrap_err()
                .contains(r#"did you mean "mail"?"#)
        );
    }

    #[test]
    fn refuses_empty_and_long_names() {
        assert!(check("").unwrap_err().contains("empty"));
        let error = check(&"q".repeat(MAX_LEN + 1)).unwrap_err();
        assert!(error.contains("129 characters"), "{error}");
    }
}
