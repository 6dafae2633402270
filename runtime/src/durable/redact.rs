//! `Durable::redact`: arguments a dashboard shows as `"***"`.

// Read by the dashboard alone; `Durable::redact` is there without it.
#![cfg_attr(not(feature = "dashboard"), allow(dead_code))]

use std::collections::BTreeMap;

use serde_json::Value;

use super::queue::Durable;

/// The fields to hide, by task name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Redactions(BTreeMap<String, Vec<String>>);

/// What a hidden value reads as.
pub(crate) const HIDDEN: &str = "***";

impl Redactions {
    /// `args`, a call of `task`'s stored arguments (a JSON array, one item
    /// per parameter), with the values of its secret fields hidden.
    pub(crate) fn apply(&self, task: &str, args: &mut Value) {
        let Some(fields) = self.0.get(task) else {
            return;
        };
        if let Value::Array(items) = args {
            for (index, item) in items.iter_mut().enumerate() {
                if fields.iter().any(|field| field == &format!("#{index}")) {
                    *item = Value::String(HIDDEN.into());
                }
            }
        }
        hide_keys(args, fields);
    }
}

/// Hides the value of each object key named in `fields`, at any depth.
fn hide_keys(value: &mut Value, fields: &[String]) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if fields.iter().any(|field| field == key) {
                    *item = Value::String(HIDDEN.into());
                } else {
                    hide_keys(item, fields);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| hide_keys(item, fields)),
        _ => {}
    }
}

impl Durable {
    /// Hides `fields` of `task`'s arguments wherever the queue shows them
    /// (the task dashboard, `App::task_dashboard`): each is read as `"***"`.
    /// A field is the name of a key in an argument that serializes as an
    /// object (a struct's field), at any depth, or `#N` for the task's
    /// `N`-th parameter (from 0), as the arguments are stored in order.
    /// The queue itself stores them as given: this hides them from eyes,
    /// not from the database.
    ///
    /// ```
    /// use atode::durable::Durable;
    ///
    /// // `fn signup(email: String, password: String, profile: Profile)`
    /// let durable = Durable::sqlite("tasks.sqlite3").redact("signup", &["#1", "api_key"]);
    /// # let _ = durable;
    /// ```
    pub fn redact(mut self, task: &str, fields: &[&str]) -> Self {
        self.redactions
            .0
            .entry(task.to_owned())
            .or_default()
            .extend(fields.iter().map(|field| (*field).to_owned()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_hidden_by_position_and_by_key_at_any_depth() {
        let mut redactions = Redactions::default();
        redactions
            .0
            .insert("signup".into(), vec!["#1".into(), "api_key".into()]);
        let mut args =
            serde_json::json!(["ada", "hunter2", {"name": "Ada", "keys": [{"api_key": "k"}]}]);
        redactions.apply("signup", &mut args);
        assert_eq!(
            args,
            serde_json::json!(["ada", "***", {"name": "Ada", "keys": [{"api_key": "***"}]}])
        );
        let mut other = serde_json::json!(["hunter2"]);
        redactions.apply("login", &mut other);
        assert_eq!(other, serde_json::json!(["hunter2"]));
    }
}
