//! The error accumulator every stage reports into, as serde_derive's
//! `internals::Ctxt`: a stage reports a mistake and carries on, so one
//! compile shows them all, and no stage imports another to report.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// The errors found so far, in the order they were found: that order is
/// the order the compiler shows them in.
pub(crate) struct Ctxt {
    /// `None` once [`Ctxt::check`] has taken them.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Reports `message` at `span`.
    pub(crate) fn error(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Reports `message` under all of `tokens`.
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens, message));
    }

    /// Reports an error syn or another stage built.
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("errors reported after `Ctxt::check`")
            .push(error);
    }

    fn reported(&self) -> usize {
        self.errors.borrow().as_ref().map_or(0, Vec::len)
    }

    /// `stage`'s result, unless it reported an error: what later stages
    /// build on must be sound (a path with a mistake binds no parameter).
    pub(crate) fn unless_errors<T>(&self, stage: impl FnOnce() -> T) -> Option<T> {
        let before = self.reported();
        let value = stage();
        (self.reported() == before).then_some(value)
    }

    /// Every error reported, combined into one, or `Ok` if there were none.
    pub(crate) fn check(self) -> syn::Result<()> {
        let errors = self
            .errors
            .borrow_mut()
            .take()
            .expect("`Ctxt::check` called twice");
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    /// Errors never checked would be lost, and the route accepted. That is a
    /// bug of this crate, not of the user's code, so only debug builds (and
    /// so the tests) look for it.
    fn drop(&mut self) {
        if cfg!(debug_assertions) && !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("a `Ctxt` was dropped without `check`");
        }
    }
}

/// Runs `stage` with an accumulator of its own: its result, or every error
/// it reported.
#[cfg(test)]
pub(crate) fn run<T>(stage: impl FnOnce(&Ctxt) -> T) -> syn::Result<T> {
    let cx = Ctxt::new();
    let value = stage(&cx);
    cx.check().map(|()| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combines_errors_in_the_order_reported() {
        let cx = Ctxt::new();
        cx.error(Span::call_site(), "first");
        cx.error_spanned_by(quote::quote!(a b), "second");
        let messages: Vec<String> = cx
            .check()
            .unwrap_err()
            .into_iter()
            .map(|error| error.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn a_stage_that_reports_yields_nothing() {
        let cx = Ctxt::new();
        assert_eq!(cx.unless_errors(|| 1), Some(1));
        assert_eq!(cx.unless_errors(|| cx.error(Span::call_site(), "no")), None);
        assert!(cx.check().is_err());
        assert!(run(|_| ()).is_ok());
    }
}
