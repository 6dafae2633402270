//! The attribute's arguments: `key = value` pairs, each the task's option
//! of that name. Read with the route attributes' reader (`crate::attr`),
//! checked here key by key, and each value by [`super::value`].

use syn::{Ident, LitStr};

use super::key::Key;
use super::value::{self, Spanned};
use crate::attr::{AttrArg, AttrArgs};
use crate::ctxt::Ctxt;

/// The options given, each checked; an option left out (or given wrong)
/// is `None`, and the runtime's default applies.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) queue: Option<LitStr>,
    pub(crate) max_attempts: Option<Spanned<u64>>,
    pub(crate) priority: Option<Spanned<u64>>,
    /// In milliseconds.
    pub(crate) timeout: Option<Spanned<u64>>,
    /// In milliseconds.
    pub(crate) unique_for: Option<Spanned<u64>>,
    pub(crate) name: Option<LitStr>,
}

/// What is wrong with an argument that is no `key = value`.
fn not_an_option() -> String {
    format!(
        "expected an option, as `key = value`\nhelp: `#[task]` takes {}, as in `#[task(queue = \"mail\", max_attempts = 5)]`",
        Key::listed()
    )
}

/// Reads the options in `attr`, reporting every mistake.
pub(crate) fn check(cx: &Ctxt, attr: AttrArgs) -> Options {
    let mut options = Options::default();
    let mut given: Vec<Key> = Vec::new();
    for arg in attr.args {
        match arg {
            AttrArg::KeyValue { key: ident, value } => {
                let Some(key) = Key::named(&ident.to_string()) else {
                    cx.error(ident.span(), unknown_key(&ident));
                    continue;
                };
                if given.contains(&key) {
                    cx.error(
                        ident.span(),
                        format!("`{key}` is given twice\nhelp: keep one"),
                    );
                    continue;
                }
                given.push(key);
                match key {
                    Key::Queue => options.queue = value::queue(cx, &value),
                    Key::MaxAttempts => options.max_attempts = value::max_attempts(cx, &value),
                    Key::Priority => options.priority = value::priority(cx, &value),
                    Key::Timeout => options.timeout = value::duration(cx, key, &value),
                    Key::UniqueFor => options.unique_for = value::duration(cx, key, &value),
                    Key::Name => options.name = value::name(cx, &value),
                }
            }
            AttrArg::Word(ident) => match Key::named(&ident.to_string()) {
                Some(key) => cx.error(
                    ident.span(),
                    format!("`{key}` needs a value\nhelp: write `{}`", key.example()),
                ),
                None => cx.error(ident.span(), unknown_key(&ident)),
            },
            AttrArg::Path(lit) => cx.error(lit.span(), unnamed(&lit)),
            AttrArg::Stray(stray) => cx.error_spanned_by(&stray, not_an_option()),
            AttrArg::Call { key, args } => {
                cx.error_spanned_by(quote::quote!(#key #args), not_an_option());
            }
        }
    }
    if let Some(error) = attr.malformed {
        cx.syn_error(error);
    }
    options
}

fn unknown_key(ident: &Ident) -> String {
    let help = match Key::meant(&ident.to_string()) {
        Some(Key::MaxAttempts) if ident.to_string().contains("retr") => format!(
            "\nhelp: did you mean `{}`? It counts the first attempt too: 3 retries are `max_attempts = 4`",
            Key::MaxAttempts
        ),
        Some(key) => format!("\nhelp: did you mean `{key}`?"),
        None => String::new(),
    };
    format!(
        "unknown option `{ident}`: `#[task]` takes {}{help}",
        Key::listed()
    )
}

/// `#[task("mail")]`: a value without its key. Says which keys take one
/// that reads like it.
fn unnamed(lit: &LitStr) -> String {
    let text = lit.value();
    let shown = format!("{text:?}");
    let help = if super::duration::parse(&text).is_ok() {
        format!("write `timeout = {shown}` or `unique_for = {shown}`")
    } else if super::queue_name::check(&text).is_ok() {
        format!("write `queue = {shown}` or `name = {shown}`")
    } else {
        format!("write `name = {shown}`")
    };
    format!("`#[task]`'s options are named\nhelp: {help}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn read(tokens: TokenStream) -> (Options, Vec<String>) {
        let cx = Ctxt::new();
        let options = check(&cx, crate::attr::parse(tokens));
        let messages = cx
            .check()
            .err()
            .into_iter()
            .flat_map(|errors| errors.into_iter().map(|error| error.to_string()))
            .collect();
        (options, messages)
    }

    #[test]
    fn reads_every_option() {
        let (options, errors) = read(quote!(
            queue = "mail",
            max_attempts = 5,
            timeout = "30s",
            priority = 2,
            unique_for = "1h",
            name = "send_welcome_v1",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            options.queue.map(|lit| lit.value()).as_deref(),
            Some("mail")
        );
        assert_eq!(options.max_attempts.map(|v| v.value), Some(5));
        assert_eq!(options.priority.map(|v| v.value), Some(2));
        assert_eq!(options.timeout.map(|v| v.value), Some(30_000));
        assert_eq!(options.unique_for.map(|v| v.value), Some(3_600_000));
        assert_eq!(
            options.name.map(|lit| lit.value()).as_deref(),
            Some("send_welcome_v1")
        );
        let (options, errors) = read(quote!());
        assert!(errors.is_empty() && options.queue.is_none());
    }

    #[test]
    fn reports_every_mistake() {
        let (options, errors) = read(quote!(
            queu = "mail",
            priority = 9,
            timeout = "30x",
            priority = 2,
            max_attempts,
            "mail"
        ));
        assert!(options.priority.is_none());
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(errors[0].contains("unknown option `queu`"), "{errors:?}");
        assert!(errors[0].contains("did you mean `queue`?"), "{errors:?}");
        assert!(errors[1].contains("from 1 to 4, not 9"), "{errors:?}");
        assert!(errors[2].contains("unknown unit `x`"), "{errors:?}");
        assert!(
            errors[3].contains("`priority` is given twice"),
            "{errors:?}"
        );
        assert!(
            errors[4].contains("`max_attempts` needs a value"),
            "{errors:?}"
        );
        assert!(errors[5].contains("write `queue = \"mail\"`"), "{errors:?}");
    }

    #[test]
    fn explains_retries() {
        let (_, errors) = read(quote!(retries = 3));
        assert!(
            errors[0].contains("3 retries are `max_attempts = 4`"),
            "{errors:?}"
        );
    }

    #[test]
    fn reports_syntax_after_the_options_before_it() {
        let (_, errors) = read(quote!(queue = "mail" priority = 2, max_attempts = 0));
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}
