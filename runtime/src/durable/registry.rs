//! Every `#[task]` in the program, known to the queue without being named
//! on its builder.
//!
//! Forgetting `.task(send_welcome)` used to compile and start, and the
//! calls then waited in the queue for a worker that never came. Now the
//! attribute submits the task to a list the linker gathers (`inventory`),
//! and [`Durable::connect`](super::Durable::connect) registers every task on
//! it. A call of a task no process registered is still possible (a worker
//! built from an older program, a task renamed): `unknown.rs` reports those.

use riverqueue::Workers;

use super::task::{Task, TaskOptions};
use super::testing::attempt::{Attempt, attempt};
use super::worker::{TaskWorker, WorkerSetup};

/// How a task's worker is added to River's bundle.
pub(crate) type Register = fn(&mut Workers, WorkerSetup) -> Result<(), riverqueue::Error>;

/// One task, as `#[task]` submits it: its name and queue, and how to add
/// its worker.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct TaskRegistration {
    name: &'static str,
    /// The Rust type's path: two tasks of one name are told apart by it.
    type_name: fn() -> &'static str,
    options: fn() -> TaskOptions,
    register: Register,
    /// Runs one attempt of a claimed call outside River's producer, for a
    /// test's `run_pending` (`testing/attempt.rs`).
    attempt: Attempt,
}

inventory::collect!(TaskRegistration);

impl TaskRegistration {
    /// The registration of `T`, made in a `static` by `#[task]`.
    pub const fn of<T: Task>() -> Self {
        TaskRegistration {
            name: T::NAME,
            type_name: std::any::type_name::<T>,
            options: T::options,
            register: register::<T>,
            attempt: attempt::<T>,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn queue(&self) -> &'static str {
        (self.options)().queue_name()
    }

    pub(crate) fn register(
        &self,
        workers: &mut Workers,
        setup: WorkerSetup,
    ) -> Result<(), riverqueue::Error> {
        (self.register)(workers, setup)
    }

    /// How a test runs one attempt of this task's call by hand.
    pub(crate) fn attempt(&self) -> Attempt {
        self.attempt
    }

    /// Whether `self` and `other` are the same task, rather than two tasks
    /// that share a name.
    fn same_task(&self, other: &TaskRegistration) -> bool {
        (self.type_name)() == (other.type_name)()
    }
}

impl std::fmt::Debug for TaskRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRegistration")
            .field("name", &self.name)
            .field("type", &(self.type_name)())
            .finish_non_exhaustive()
    }
}

fn register<T: Task>(workers: &mut Workers, setup: WorkerSetup) -> Result<(), riverqueue::Error> {
    workers
        .add::<super::job::Envelope<T>, _>(TaskWorker::<T>::new(setup))
        .map(drop)
}

/// The names of the `#[task]`s linked into the program, sorted.
pub(crate) fn linked_names() -> Vec<&'static str> {
    let mut names: Vec<_> = inventory::iter::<TaskRegistration>
        .into_iter()
        .map(TaskRegistration::name)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The tasks a queue registers: every `#[task]` linked into the program,
/// then those named on the builder (`extra`), each once, sorted by name.
/// Two different tasks of one name are an error naming both, since a
/// stored call could only run one of them.
pub(crate) fn tasks(extra: &[TaskRegistration]) -> Result<Vec<TaskRegistration>, String> {
    let mut tasks: Vec<TaskRegistration> = Vec::new();
    let linked = inventory::iter::<TaskRegistration>.into_iter().copied();
    for task in linked.chain(extra.iter().copied()) {
        match tasks.iter().find(|known| known.name == task.name) {
            None => tasks.push(task),
            Some(known) if known.same_task(&task) => {}
            Some(known) => {
                return Err(format!(
                    "two tasks are named `{}`: `{}` and `{}`; a stored call names one task, so give one of them `#[task(name = \"...\")]`",
                    task.name,
                    (known.type_name)(),
                    (task.type_name)()
                ));
            }
        }
    }
    tasks.sort_by_key(|task| task.name);
    Ok(tasks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::background::task::Work;

    /// Two tasks that claim one stored name, as two `#[task(name =
    /// "digest")]`s in different modules would.
    #[derive(Clone, Copy)]
    struct DailyDigest;
    #[derive(Clone, Copy)]
    struct WeeklyDigest;

    impl Task for DailyDigest {
        const NAME: &'static str = "digest";
        type Args = ();
        fn run((): ()) -> Work {
            Work::future(async {})
        }
    }

    impl Task for WeeklyDigest {
        const NAME: &'static str = "digest";
        type Args = ();
        fn run((): ()) -> Work {
            Work::future(async {})
        }
    }

    #[test]
    fn a_task_named_twice_on_the_builder_is_registered_once() {
        let daily = TaskRegistration::of::<DailyDigest>();
        let tasks = tasks(&[daily, daily]).unwrap();
        assert_eq!(
            tasks.iter().filter(|task| task.name() == "digest").count(),
            1
        );
    }

    #[test]
    fn two_tasks_of_one_name_are_an_error_naming_both() {
        let daily = TaskRegistration::of::<DailyDigest>();
        let weekly = TaskRegistration::of::<WeeklyDigest>();
        let error = tasks(&[daily, weekly]).unwrap_err();
        assert!(error.starts_with("two tasks are named `digest`"), "{error}");
        assert!(
            error.contains("DailyDigest") && error.contains("WeeklyDigest"),
            "{error}"
        );
    }
}
