//! The `key = value` arguments a route attribute takes after its path (and
//! `deprecated`, which stands alone), with an example of each for messages.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    BodyLimit,
    Tags,
    Deprecated,
    IncludeInSchema,
    Status,
    ResponseDescription,
    Errors,
}

impl Key {
    pub(crate) const ALL: [Key; 7] = [
        Key::BodyLimit,
        Key::Tags,
        Key::Deprecated,
        Key::IncludeInSchema,
        Key::Status,
        Key::ResponseDescription,
        Key::Errors,
    ];

    pub(crate) fn named(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.as_str() == name)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Key::BodyLimit => "body_limit",
            Key::Tags => "tags",
            Key::Deprecated => "deprecated",
            Key::IncludeInSchema => "include_in_schema",
            Key::Status => "status",
            Key::ResponseDescription => "response_description",
            Key::Errors => "errors",
        }
    }

    /// The key meant by the unknown key `name`: a typo of one, or another
    /// framework's word for it (`status_code`, `hidden`).
    pub(crate) fn meant(name: &str) -> Option<Key> {
        let alias = match name {
            "status_code" | "code" | "success_status" | "default_status" => Some(Key::Status),
            "hidden"
            | "hide"
            | "skip"
            | "exclude"
            | "exclude_from_schema"
            | "include_in_docs"
            | "in_schema" => Some(Key::IncludeInSchema),
            "response_desc" | "response_doc" => Some(Key::ResponseDescription),
            "limit" | "max_body" | "max_body_size" | "body_size" => Some(Key::BodyLimit),
            "responses" | "raises" | "error_statuses" | "error_codes" => Some(Key::Errors),
            _ => None,
        };
        alias.or_else(|| {
            crate::suggest::closest(name, Key::ALL.iter().map(|key| key.as_str()))
                .and_then(Key::named)
        })
    }

    /// The key with a typical value, as written in an attribute.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Key::BodyLimit => "body_limit = 1024 * 1024",
            Key::Tags => "tags = [\"items\"]",
            Key::Deprecated => "deprecated",
            Key::IncludeInSchema => "include_in_schema = false",
            Key::Status => "status = 201",
            Key::ResponseDescription => "response_description = \"Item created\"",
            Key::Errors => "errors = [404, 409]",
        }
    }

    /// Every key, for a message: `` `body_limit = <bytes>`, ... and `response_description = "..."` ``.
    pub(crate) fn listed() -> String {
        let shown: Vec<String> = Key::ALL
            .iter()
            .map(|key| match key {
                Key::BodyLimit => "`body_limit = <bytes>`".to_owned(),
                Key::ResponseDescription => "`response_description = \"...\"`".to_owned(),
                key => format!("`{}`", key.example()),
            })
            .collect();
        let (last, rest) = shown.split_last().expect("there are keys");
        format!("{} and {last}", rest.join(", "))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_is_named_by_its_string() {
        for key in Key::ALL {
            assert_eq!(Key::named(key.as_str()), Some(key));
            assert!(key.example().starts_with(key.as_str()));
        }
        assert_eq!(Key::named("tag"), None);
    }

    #[test]
    fn finds_the_key_meant() {
        assert_eq!(Key::meant("tag"), Some(Key::Tags));
        assert_eq!(Key::meant("status_code"), Some(Key::Status));
        assert_eq!(Key::meant("stauts"), Some(Key::Status));
        assert_eq!(Key::meant("depreciated"), Some(Key::Deprecated));
        assert_eq!(Key::meant("hidden"), Some(Key::IncludeInSchema));
        assert_eq!(Key::meant("body_limt"), Some(Key::BodyLimit));
        assert_eq!(Key::meant("error"), Some(Key::Errors));
        assert_eq!(Key::meant("responses"), Some(Key::Errors));
        assert_eq!(Key::meant("format"), None);
        assert_eq!(Key::meant("index"), None);
    }

    #[test]
    fn lists_every_key() {
        assert_eq!(
            Key::listed(),
            "`body_limit = <bytes>`, `tags = [\"items\"]`, `deprecated`, `include_in_schema = false`, `status = 201`, `response_description = \"...\"` and `errors = [404, 409]`"
        );
    }
}
