//! How a route's generated code validates its `Json<T>`, `Query<T>` and
//! `Form<T>` parameters without requiring that `T` can be validated: it
//! calls `(&Probe::<P>::new()).check(&value)` for each parameter type `P`,
//! and method resolution picks the impl on `Probe<P>` when `P` is one of
//! those with a `T` that implements `Validate`, else the one on
//! `&Probe<P>`, which accepts everything and costs nothing. Without the
//! `validation` feature only that one exists. Not a public API.

use std::marker::PhantomData;

use super::ValidationError;

pub struct Probe<P>(PhantomData<fn() -> P>);

impl<P> Probe<P> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

/// A parameter with rules: checked.
pub trait Validated<P> {
    fn check(&self, value: &P) -> Result<(), ValidationError>;
}

/// Any other parameter: nothing to check.
pub trait Unvalidated<P> {
    #[inline(always)]
    fn check(&self, value: &P) -> Result<(), ValidationError> {
        let _ = value;
        Ok(())
    }
}

impl<P> Unvalidated<P> for &Probe<P> {}

#[cfg(feature = "validation")]
mod rules {
    use validator::Validate;

    use super::{Probe, Validated, ValidationError};
    use crate::validation::validate;
    use crate::{Form, Json, Query};

    /// `Json<T>`, `Form<T>` and `Query<T>`, alone or as an `Option`, and
    /// where each reports its failures.
    macro_rules! validated {
        ($($wrapper:ident => $source:literal),*) => {$(
            impl<T: Validate> Validated<$wrapper<T>> for Probe<$wrapper<T>> {
                fn check(&self, value: &$wrapper<T>) -> Result<(), ValidationError> {
                    validate(&value.0, $source)
                }
            }

            impl<T: Validate> Validated<Option<$wrapper<T>>> for Probe<Option<$wrapper<T>>> {
                fn check(&self, value: &Option<$wrapper<T>>) -> Result<(), ValidationError> {
                    value.as_ref().map_or(Ok(()), |value| validate(&value.0, $source))
                }
            }
        )*};
    }

    validated!(Json => "body", Form => "body", Query => "query");
}

#[cfg(all(test, feature = "validation"))]
mod tests {
    use validator::Validate;

    use super::{Probe, Unvalidated as _, Validated as _};
    use crate::{Json, Query};

    #[derive(Validate)]
    struct Page {
        #[validate(range(max = 10))]
        size: u32,
    }

    // Called as the route macros call it, borrow included: without it the
    // fallback on `&Probe<P>` would not be found.
    #[test]
    #[allow(clippy::needless_borrow)]
    fn the_probe_checks_only_types_with_rules() {
        assert!(
            (&Probe::<Query<Page>>::new())
                .check(&Query(Page { size: 11 }))
                .is_err()
        );
        assert!(
            (&Probe::<Option<Json<Page>>>::new())
                .check(&Some(Json(Page { size: 11 })))
                .is_err()
        );
        assert!((&Probe::<Option<Json<Page>>>::new()).check(&None).is_ok());
        // No rules: accepted whatever the value.
        assert!((&Probe::<Json<u32>>::new()).check(&Json(u32::MAX)).is_ok());
    }
}
