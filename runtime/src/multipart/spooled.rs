//! The app's uploads waiting in temporary files. An [`UploadFile`]
//! deletes its file when dropped; this list is for the one case where no
//! drop comes: a background task abandoned at the shutdown deadline while it
//! runs on a thread of its own, which the process exits under. The server
//! deletes what is left then, so no upload outlives the process on disk.
//!
//! [`UploadFile`]: super::UploadFile

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The paths of the app's live spooled uploads.
#[derive(Debug, Default)]
pub(crate) struct Spooled {
    live: Mutex<HashSet<PathBuf>>,
}

impl Spooled {
    /// Notes a new spooled file; it leaves the list when the guard drops.
    pub(crate) fn add(self: &Arc<Self>, path: &Path) -> SpoolGuard {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_owned());
        SpoolGuard {
            list: Arc::clone(self),
            path: path.to_owned(),
        }
    }

    /// Deletes every file still listed (an open handle keeps reading it on
    /// Unix); returns how many were deleted.
    pub(crate) fn remove_left_over(&self) -> usize {
        let left = std::mem::take(&mut *self.live.lock().unwrap_or_else(PoisonError::into_inner));
        left.iter()
            .filter(|path| std::fs::remove_file(path).is_ok())
            .count()
    }
}

/// One spooled file's place in the list.
#[derive(Debug)]
pub(crate) struct SpoolGuard {
    list: Arc<Spooled>,
    path: PathBuf,
}

impl Drop for SpoolGuard {
    fn drop(&mut self) {
        self.list
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_files_still_held_are_deleted() {
        let spooled = Arc::new(Spooled::default());
        let dropped = tempfile::NamedTempFile::new().expect("a temporary file");
        let held = tempfile::NamedTempFile::new().expect("a temporary file");
        let held_path = held.path().to_owned();
        let guard = spooled.add(dropped.path());
        let _held_guard = spooled.add(&held_path);
        drop(guard);
        assert_eq!(spooled.remove_left_over(), 1);
        assert!(!held_path.exists());
        assert!(dropped.path().exists(), "a released file is not touched");
        assert_eq!(spooled.remove_left_over(), 0);
    }
}
