//! `RequestWork`: what one request owns of its background work, from its
//! first extractor to the end of its response body.

use std::sync::Arc;

use super::BackgroundTasks;
use super::runner::{Admission, Owner};
use super::watch::RequestWatch;
use crate::shared::AppShared;

/// The request's list (made on first use) and its place under the app's
/// cap. Owned by the request's future: if the handler panics or the future
/// is dropped (a timeout layer, an HTTP/2 reset), `Drop` discards the
/// queued tasks with a logged count and gives the place back, whatever
/// clones of the list are left, so nothing can leak it.
#[derive(Default)]
pub(crate) struct RequestWork {
    tasks: Option<BackgroundTasks>,
    admission: Option<Admission>,
    refused: bool,
}

/// What the response body carries: the tasks to start once it is written,
/// and the place under the cap that their batch then holds.
pub(crate) struct PendingTasks {
    tasks: BackgroundTasks,
    admission: Option<Admission>,
}

impl RequestWork {
    /// The request's list. The first call takes the request's place under
    /// the app's cap; past the cap the request is marked refused (it is
    /// answered `503` before its handler runs) and gets a list that
    /// discards.
    pub(crate) fn tasks(
        &mut self,
        app: &Arc<AppShared>,
        route: &'static str,
        watch: impl FnOnce() -> Option<RequestWatch>,
    ) -> BackgroundTasks {
        if let Some(tasks) = &self.tasks {
            return tasks.clone();
        }
        let tasks = match Owner::admit(app) {
            Some(admission) => {
                self.admission = Some(admission);
                BackgroundTasks::for_request(Owner::of(app), route, watch())
            }
            None => {
                self.refused = true;
                BackgroundTasks::refused(Owner::of(app), route)
            }
        };
        self.tasks.insert(tasks).clone()
    }

    /// Takes a place under the cap for work the handler returned (with its
    /// response, or on its error's path), when the request holds none yet:
    /// returned work is admitted as queued work is. `false` when the cap
    /// refuses it: the request is then refused as a whole (`503`), and
    /// the returned work is discarded with a logged count.
    pub(crate) fn admit_returned(
        &mut self,
        app: &Arc<AppShared>,
        route: &'static str,
        watch: impl FnOnce() -> Option<RequestWatch>,
    ) -> bool {
        if self.tasks.is_none() {
            self.tasks(app, route, watch);
        }
        !self.refused
    }

    /// The durable calls queued so far, taken off the request's list.
    #[cfg(feature = "durable")]
    pub(crate) fn take_durable(&self) -> Vec<crate::durable::PendingJob> {
        self.tasks
            .as_ref()
            .map(BackgroundTasks::take_durable)
            .unwrap_or_default()
    }

    /// Whether nothing asked for the list: then there is no place under
    /// the cap to give back and no refusal (both come with the list).
    #[inline]
    pub(crate) fn is_untouched(&self) -> bool {
        self.tasks.is_none()
    }

    /// Whether the app's cap refused this request.
    pub(crate) fn refused(&self) -> bool {
        self.refused
    }

    /// Ends the request. `failed` is why its tasks must not run (the handler
    /// failed, an extractor rejected the request); `carried` are tasks the
    /// response brought along, which run after the request's own;
    /// `error_path` are tasks an error response brought along
    /// ([`HttpError::with_tasks`](crate::HttpError::with_tasks)), which run
    /// even when the rest is discarded.
    pub(crate) fn finish(
        mut self,
        app: &Arc<AppShared>,
        route: &'static str,
        watch: impl FnOnce() -> Option<RequestWatch>,
        carried: Option<BackgroundTasks>,
        failed: Option<&'static str>,
        error_path: Option<BackgroundTasks>,
    ) -> Option<PendingTasks> {
        let mut watch = Some(watch);
        let mut watch = move || watch.take().and_then(|watch| watch());
        let carried = match (failed, carried, error_path.clone()) {
            // Succeeded: the error's work is simply more work.
            (None, Some(carried), Some(error_path)) => {
                carried.append(&error_path);
                Some(carried)
            }
            (None, None, error_path) => error_path,
            (_, carried, _) => carried,
        };
        if let Some(carried) = carried {
            if self.tasks.is_none() && !carried.is_empty() {
                // Only where the request failed before anything admitted
                // its returned work (`admit_returned`): the list is made to
                // be discarded below, counted.
                self.tasks = Some(BackgroundTasks::for_request(Owner::of(app), route, watch()));
            }
            if let Some(tasks) = &self.tasks {
                tasks.append(&carried);
            }
        }
        if let Some(reason) = failed {
            let own_list_on_error_path = match (&self.tasks, &error_path) {
                (Some(tasks), Some(error_path)) => tasks.is_same_list(error_path),
                _ => false,
            };
            if own_list_on_error_path && self.admission.is_some() {
                // `HttpError::with_tasks` was given the request's own list
                // (a clone of the injected one): its tasks are the error
                // path's work, moved over rather than discarded with it.
                return Some(PendingTasks {
                    tasks: self.tasks.take()?,
                    admission: self.admission.take(),
                });
            }
            if let Some(tasks) = self.tasks.take() {
                tasks.discard(reason);
            }
            // The error path's own work runs all the same.
            let error_path = error_path.filter(|tasks| !tasks.is_empty())?;
            let tasks = BackgroundTasks::for_request(Owner::of(app), route, watch());
            tasks.append(&error_path);
            // Taken by `admit_returned` before the request ended.
            let admission = self.admission.take();
            return Some(PendingTasks { tasks, admission });
        }
        let tasks = self.tasks.take()?;
        Some(PendingTasks {
            tasks,
            admission: self.admission.take(),
        })
    }
}

impl Drop for RequestWork {
    fn drop(&mut self) {
        if let Some(tasks) = self.tasks.take() {
            // Dropping the tasks breaks any cycle of a task holding its own list.
            tasks.discard("its handler did not finish");
        }
    }
}

impl PendingTasks {
    /// Starts the tasks: the response is out.
    pub(crate) fn start(self) {
        self.tasks.schedule(self.admission);
    }
}
