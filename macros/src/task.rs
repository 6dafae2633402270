//! `#[task]`: a function made a durable task, whose calls are stored in the
//! app's queue and run later by a worker.
//!
//! The attribute goes `parse → validate → expand` as the route attributes
//! do: [`item`] reads the function, [`options`] the attribute's `key =
//! value` options (each value checked by [`value`], with the grammars of
//! [`duration`] and [`queue_name`]), [`signature`] checks that a worker can
//! call the function, and [`expand`] writes the glue.

use syn::ItemFn;

pub(crate) mod duration;
pub(crate) mod expand;
pub(crate) mod item;
pub(crate) mod key;
pub(crate) mod options;
pub(crate) mod queue_name;
pub(crate) mod signature;
pub(crate) mod value;

use options::Options;
use signature::TaskFn;

/// A `#[task]` function, every part of it free of mistakes (its options
/// may be the defaults in place of mistaken ones).
pub(crate) struct Task {
    pub(crate) options: Options,
    pub(crate) function: TaskFn,
    pub(crate) item: ItemFn,
}
