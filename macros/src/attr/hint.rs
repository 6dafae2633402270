//! The messages about the attribute's arguments, each with the fix written
//! out in the user's own terms: their macro, their path, their methods.

use std::fmt::Display;

use syn::{Expr, ExprLit, Ident, Lit, LitStr};

use super::key::Key;
use crate::method::Method;

/// The attribute being checked, as the fixes show it.
pub(super) struct Usage<'a> {
    verb: Option<Method>,
    macro_name: &'a str,
    /// The path as written (Rust-quoted), or a placeholder.
    path: String,
}

impl<'a> Usage<'a> {
    pub(super) fn new(verb: Option<Method>, macro_name: &'a str, path: Option<&LitStr>) -> Self {
        let path = path.map_or_else(
            || "\"/path\"".to_owned(),
            |path| format!("{:?}", path.value()),
        );
        Usage {
            verb,
            macro_name,
            path,
        }
    }

    /// The attribute written right, with a placeholder path.
    fn example(&self) -> String {
        if self.verb.is_some() {
            format!("#[{}(\"/items/<id>\")]", self.macro_name)
        } else {
            "#[route(GET, POST, \"/items/<id>\")]".to_owned()
        }
    }

    pub(super) fn second_path(&self, first: &LitStr, second: &LitStr) -> String {
        format!(
            "a route has one path, and this one already has {:?}\n\
             help: to answer {:?} as well, give it a handler of its own",
            first.value(),
            second.value()
        )
    }

    /// `path = "/items"`.
    pub(super) fn named_path(&self, path: &LitStr) -> String {
        let macro_name = self.macro_name;
        let shown = if self.verb.is_some() {
            format!("#[{macro_name}({:?})]", path.value())
        } else {
            format!("#[route(GET, {:?})]", path.value())
        };
        format!("`#[{macro_name}]` takes its path without a name\nhelp: write `{shown}`")
    }

    /// `key = value` (or `key` alone, with no `value`) with a key no route
    /// attribute takes: the key meant, or every key.
    pub(super) fn unknown_argument(&self, key: &Ident, value: Option<&Expr>) -> String {
        let name = key.to_string();
        let help = match Key::meant(&name) {
            // `hidden = true`: the key says the opposite.
            Some(Key::IncludeInSchema) if !name.contains("include") => {
                format!("did you mean `{}`?", Key::IncludeInSchema.example())
            }
            Some(meant) => format!("did you mean `{meant}`?"),
            None if name == "summary" || name == "description" => {
                let text = match value {
                    Some(Expr::Lit(ExprLit {
                        lit: Lit::Str(text),
                        ..
                    })) => text.value(),
                    _ => "Create an item.".to_owned(),
                };
                format!(
                    "a route's summary and description come from its doc comment: the first paragraph is the summary, the rest the description\nhelp: write `/// {text}` above the attribute"
                )
            }
            None => {
                let takes = if self.verb.is_some() {
                    "the path"
                } else {
                    "its methods and the path"
                };
                format!(
                    "`#[{}]` takes {takes}, then optionally {}",
                    self.macro_name,
                    Key::listed()
                )
            }
        };
        format!("unknown argument `{key}`\nhelp: {help}")
    }

    /// A key written as a call: `errors(404, 409)`, `tags("items")`.
    pub(super) fn called(key: Key, args: &proc_macro2::Group) -> String {
        if key == Key::Deprecated {
            return "`deprecated` is written alone\nhelp: write `deprecated`, and say why in the handler's doc comment".to_owned();
        }
        let written = args.stream().to_string().replace(" ,", ",");
        let fix = match key {
            Key::Errors | Key::Tags if !written.trim().is_empty() => {
                format!("{key} = [{}]", written.trim())
            }
            key => key.example().to_owned(),
        };
        format!("`{key}` takes a value after `=`, as every key does\nhelp: write `{fix}`")
    }

    /// A key written alone that takes a value: `#[get("/", status)]`.
    pub(super) fn needs_value(key: Key) -> String {
        format!("`{key}` needs a value\nhelp: write `{}`", key.example())
    }

    /// Something other than a string literal where the path should be.
    pub(super) fn not_a_literal(&self, written: &dyn Display) -> String {
        let written = written.to_string();
        // A constant or `concat!`: the path is read as the attribute
        // expands, before either has a value. A shared prefix is what
        // they are usually for, and a `Router` gives one.
        let named = written.starts_with(|c: char| c.is_alphabetic() || c == '_');
        let prefix = if named {
            "\nnote: the attribute reads its path as it expands, before a constant or `concat!` has a value\nhelp: for routes under a common prefix, write the rest of the path here and add the routes to `atode::Router::new(\"/prefix\")`"
        } else {
            ""
        };
        format!(
            "the route's path must be a string literal, not `{written}`\nhelp: write `{}`{prefix}",
            self.example()
        )
    }

    /// `#[get(GET, "/")]`.
    pub(super) fn verb_repeated(&self, name: &str) -> String {
        format!(
            "`#[{}]` answers {name} already\nhelp: remove `{name}`",
            self.macro_name
        )
    }

    /// `#[get(POST, "/")]`: `#[route]` answers both.
    pub(super) fn second_method(&self, verb: Method, method: Method) -> String {
        format!(
            "`#[{}]` names its method already\nhelp: to answer {} and {} with one handler, write `#[route({}, {}, {})]`",
            self.macro_name,
            verb.as_str(),
            method.as_str(),
            verb.as_str(),
            method.as_str(),
            self.path
        )
    }

    /// A word `#[route]` does not know as a method: a lowercase method, or a
    /// typo of one.
    pub(super) fn unknown_method(name: &str) -> String {
        let upper = name.to_uppercase();
        if Method::named(&upper).is_some() {
            return format!(
                "HTTP methods are written in uppercase\nhelp: write `{upper}`, not `{name}`"
            );
        }
        format!(
            "unknown HTTP method `{name}`\nhelp: {}`#[route]` takes GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS",
            crate::suggest::closest(&upper, Method::ALL.iter().map(|m| m.as_str()))
                .map(|close| format!("did you mean `{close}`? "))
                .unwrap_or_default()
        )
    }

    /// No path at all; `methods` are those `#[route]` listed.
    pub(super) fn no_path(&self, methods: &[Method]) -> String {
        if self.verb.is_some() {
            format!("this route has no path\nhelp: write `{}`", self.example())
        } else if !methods.is_empty() {
            let listed: Vec<&str> = methods.iter().map(|method| method.as_str()).collect();
            format!(
                "this route has no path\nhelp: write `#[route({}, \"/items/<id>\")]`",
                listed.join(", ")
            )
        } else {
            format!(
                "`#[route]` needs its methods and its path\nhelp: write `{}`",
                self.example()
            )
        }
    }

    /// `#[route("/items")]`, with no method.
    pub(super) fn no_methods(path: Option<&LitStr>) -> String {
        let path = path.map_or_else(
            || "\"/items/<id>\"".to_owned(),
            |path| format!("{:?}", path.value()),
        );
        format!(
            "`#[route]` needs at least one HTTP method before the path\nhelp: write `#[route(GET, POST, {path})]`, or `#[get({path})]` for one method"
        )
    }
}
