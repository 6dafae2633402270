//! `TaskStatus`: where a durable task's call is, read from the queue.

use riverqueue::{JobRow, JobState};
use serde::Serialize;

use super::id::TaskId;

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskState {
    /// Written, waiting for a worker.
    Queued,
    /// Written, waiting for its time (a delayed call).
    Scheduled,
    /// A worker is running an attempt.
    Running,
    /// An attempt failed (or its worker died); the next one waits for its
    /// backoff, or for a worker.
    Retrying,
    /// An attempt completed.
    Completed,
    /// Every attempt failed (or the task gave up): it will not run again.
    Discarded,
    /// Cancelled before it completed.
    Cancelled,
}

impl TaskState {
    pub(crate) fn from_river(state: JobState) -> Self {
        match state {
            JobState::Available | JobState::Pending => TaskState::Queued,
            JobState::Scheduled => TaskState::Scheduled,
            JobState::Running => TaskState::Running,
            JobState::Retryable => TaskState::Retrying,
            JobState::Completed => TaskState::Completed,
            JobState::Discarded => TaskState::Discarded,
            JobState::Cancelled => TaskState::Cancelled,
            // A state a newer River adds: the closest reading that promises nothing.
            _ => TaskState::Queued,
        }
    }

    /// The state as the status JSON spells it: `"queued"`, `"completed"`, ...
    ///
    /// ```
    /// use atode::durable::TaskState;
    ///
    /// assert_eq!(TaskState::Completed.as_str(), "completed");
    /// assert_eq!(TaskState::Retrying.to_string(), "retrying");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Retrying => "retrying",
            TaskState::Completed => "completed",
            TaskState::Discarded => "discarded",
            TaskState::Cancelled => "cancelled",
        }
    }

    /// Whether the call will not run again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::Discarded | TaskState::Cancelled
        )
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call's state, as a `GET /tasks/<id>` route answers it.
///
/// ```json
/// {"id":"…","task":"write_notification","state":"retrying","attempt":1,
///  "max_attempts":25,"last_error":"connection refused",
///  "created_at":"2026-11-28T10:00:00Z","scheduled_at":"2026-11-28T10:00:01Z",
///  "finalized_at":null}
/// ```
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TaskStatus {
    /// The id `add_task` returned.
    pub id: TaskId,
    /// The task's name.
    pub task: String,
    /// Where the call is.
    pub state: TaskState,
    /// Attempts started so far.
    pub attempt: u32,
    /// Attempts it gets in all.
    pub max_attempts: u32,
    /// The last attempt's error (or panic message), if an attempt failed.
    pub last_error: Option<String>,
    /// When it was written, RFC 3339.
    pub created_at: String,
    /// When its next (or last) attempt may start, RFC 3339.
    pub scheduled_at: String,
    /// When it completed, was discarded or cancelled, RFC 3339.
    pub finalized_at: Option<String>,
}

impl TaskStatus {
    pub(crate) fn from_row(id: TaskId, row: &JobRow) -> Self {
        TaskStatus {
            id,
            task: row.kind.clone(),
            state: match TaskState::from_river(row.state) {
                // River makes a call due soon `available` at once rather
                // than `retryable`: with attempts behind it, it is a retry.
                TaskState::Queued | TaskState::Scheduled if row.attempt > 0 => TaskState::Retrying,
                state => state,
            },
            attempt: u32::try_from(row.attempt).unwrap_or(0),
            max_attempts: u32::try_from(row.max_attempts).unwrap_or(0),
            last_error: row.errors.last().map(|error| error.error.clone()),
            created_at: row.created_at.to_string(),
            scheduled_at: row.scheduled_at.to_string(),
            finalized_at: row.finalized_at.map(|at| at.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TaskState;

    #[test]
    fn a_states_name_is_the_one_its_json_has() {
        use TaskState::*;
        for state in [
            Queued, Scheduled, Running, Retrying, Completed, Discarded, Cancelled,
        ] {
            let json = serde_json::to_value(state).expect("a state serializes");
            assert_eq!(json.as_str(), Some(state.as_str()));
        }
    }
}
