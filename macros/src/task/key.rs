//! The keys `#[task(...)]` takes, with an example of each for messages.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Queue,
    MaxAttempts,
    Priority,
    Timeout,
    UniqueFor,
    Name,
}

impl Key {
    pub(crate) const ALL: [Key; 6] = [
        Key::Queue,
        Key::MaxAttempts,
        Key::Priority,
        Key::Timeout,
        Key::UniqueFor,
        Key::Name,
    ];

    pub(crate) fn named(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.as_str() == name)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Key::Queue => "queue",
            Key::MaxAttempts => "max_attempts",
            Key::Priority => "priority",
            Key::Timeout => "timeout",
            Key::UniqueFor => "unique_for",
            Key::Name => "name",
        }
    }

    /// The key meant by the unknown key `name`: a typo of one, or another
    /// framework's word for it (`retries`, `queue_name`).
    pub(crate) fn meant(name: &str) -> Option<Key> {
        let alias = match name {
            "retries" | "max_retries" | "attempts" | "retry" => Some(Key::MaxAttempts),
            "queue_name" => Some(Key::Queue),
            "unique" | "unique_period" | "uniqueness" | "unique_within" => Some(Key::UniqueFor),
            "task_name" | "kind" => Some(Key::Name),
            "deadline" | "time_limit" => Some(Key::Timeout),
            _ => None,
        };
        alias.or_else(|| {
            crate::suggest::closest(name, Key::ALL.iter().map(|key| key.as_str()))
                .and_then(Key::named)
        })
    }

    /// The key with a typical value: `queue = "mail"`.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Key::Queue => "queue = \"mail\"",
            Key::MaxAttempts => "max_attempts = 5",
            Key::Priority => "priority = 2",
            Key::Timeout => "timeout = \"30s\"",
            Key::UniqueFor => "unique_for = \"1h\"",
            Key::Name => "name = \"send_welcome_v1\"",
        }
    }

    /// Every key, for a message: `` `queue`, `max_attempts`, ... and `name` ``.
    pub(crate) fn listed() -> String {
        let names: Vec<String> = Key::ALL
            .iter()
            .map(|key| format!("`{}`", key.as_str()))
            .collect();
        let (last, rest) = names.split_last().expect("there are keys");
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
        assert_eq!(Key::named("queues"), None);
        assert_eq!(Key::meant("queues"), Some(Key::Queue));
        assert_eq!(Key::meant("max_attempt"), Some(Key::MaxAttempts));
        assert_eq!(Key::meant("retries"), Some(Key::MaxAttempts));
        assert_eq!(Key::meant("format"), None);
        assert_eq!(
            Key::listed(),
            "`queue`, `max_attempts`, `priority`, `timeout`, `unique_for` and `name`"
        );
    }
}
