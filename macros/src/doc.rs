//! What a handler says of itself for the OpenAPI document: its doc
//! comment, split into a summary and a description, and `#[deprecated]`.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

pub(crate) struct Docs {
    /// The first paragraph, its lines joined.
    pub(crate) summary: Option<String>,
    /// The paragraphs after it, as written (Markdown).
    pub(crate) description: Option<String>,
}

/// The doc comment of an item with `attrs`.
pub(crate) fn docs(attrs: &[Attribute]) -> Docs {
    let text: Vec<String> = attrs
        .iter()
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    split(&text.join("\n"))
}

/// Whether the item has `#[deprecated]`, in any of its forms.
pub(crate) fn deprecated(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| attr.path().is_ident("deprecated"))
}

fn split(text: &str) -> Docs {
    let lines: Vec<&str> = text.lines().collect();
    // `/// text` gives " text": drop the indentation the lines share.
    let indent = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = lines
        .iter()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect();
    let mut paragraphs = lines
        .split(|line| line.is_empty())
        .filter(|p| !p.is_empty());
    let summary = paragraphs.next().map(|first| first.join(" "));
    let start = summary.as_ref().map_or(lines.len(), |_| {
        let first = lines.iter().position(|line| !line.is_empty()).unwrap_or(0);
        first
            + lines[first..]
                .iter()
                .take_while(|line| !line.is_empty())
                .count()
    });
    let description = lines[start..].join("\n").trim().to_owned();
    Docs {
        summary,
        description: (!description.is_empty()).then_some(description),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_paragraph_is_the_summary_and_the_rest_the_description() {
        let docs =
            split(" Create an item,\n in the store.\n\n Stores it as sent.\n\n - one\n - two");
        assert_eq!(
            docs.summary.as_deref(),
            Some("Create an item, in the store.")
        );
        assert_eq!(
            docs.description.as_deref(),
            Some("Stores it as sent.\n\n- one\n- two")
        );
    }

    #[test]
    fn no_comment_is_neither() {
        let docs = split("");
        assert!(docs.summary.is_none() && docs.description.is_none());
        let docs = split(" Only a summary.\n");
        assert_eq!(docs.summary.as_deref(), Some("Only a summary."));
        assert!(docs.description.is_none());
    }
}
