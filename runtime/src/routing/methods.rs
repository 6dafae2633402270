//! `Methods`: a set of HTTP methods, small enough to be a constant.

use http::Method;

/// A set of the HTTP methods a route answers, as
/// [`RouteInfo::methods`](crate::routing::RouteInfo::methods) gives it; a
/// `const`, so the route macros can build it at compile time.
///
/// ```
/// use atode::routing::Methods;
///
/// let methods = Methods::GET.union(Methods::POST);
/// assert!(methods.contains(&atode::Method::POST));
/// assert!(!methods.contains(&atode::Method::PUT));
/// ```
///
/// Every operation, on the methods atode has route attributes for:
///
/// ```
/// use atode::Method;
/// use atode::routing::Methods;
///
/// let methods = Methods::GET.union(Methods::POST);
/// assert_eq!(methods.iter().collect::<Vec<_>>(), [Method::GET, Method::POST]);
/// assert_eq!(methods.intersection(Methods::POST), Methods::POST);
/// assert!(methods.intersection(Methods::PUT).is_empty());
/// assert_eq!(Methods::of(&Method::DELETE), Methods::DELETE);
/// assert!(Methods::of(&Method::CONNECT).is_empty()); // no attribute for it
/// assert!(Methods::NONE.is_empty());
/// assert_eq!(Methods::default(), Methods::NONE);
/// let all = [Methods::HEAD, Methods::PUT, Methods::PATCH, Methods::OPTIONS]
///     .into_iter()
///     .fold(methods.union(Methods::DELETE), Methods::union);
/// assert_eq!(all.iter().count(), 7);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Methods(u16);

/// A `static`, not a `const`: each use of a `const` array of `Method`s
/// builds and drops a copy, on every request's routing.
static ALL: [(Methods, Method); 7] = [
    (Methods::GET, Method::GET),
    (Methods::HEAD, Method::HEAD),
    (Methods::POST, Method::POST),
    (Methods::PUT, Method::PUT),
    (Methods::PATCH, Method::PATCH),
    (Methods::DELETE, Method::DELETE),
    (Methods::OPTIONS, Method::OPTIONS),
];

impl Methods {
    /// No method.
    pub const NONE: Methods = Methods(0);
    /// `GET`
    pub const GET: Methods = Methods(1);
    /// `HEAD`
    pub const HEAD: Methods = Methods(1 << 1);
    /// `POST`
    pub const POST: Methods = Methods(1 << 2);
    /// `PUT`
    pub const PUT: Methods = Methods(1 << 3);
    /// `PATCH`
    pub const PATCH: Methods = Methods(1 << 4);
    /// `DELETE`
    pub const DELETE: Methods = Methods(1 << 5);
    /// `OPTIONS`
    pub const OPTIONS: Methods = Methods(1 << 6);

    /// The methods in either set. See the [type's example](Methods) for
    /// each operation.
    pub const fn union(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    /// The methods in both sets.
    pub const fn intersection(self, other: Methods) -> Methods {
        Methods(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `method` is in the set.
    pub fn contains(self, method: &Method) -> bool {
        !self.intersection(Methods::of(method)).is_empty()
    }

    /// The set holding just `method` (empty for a method atode has no route attribute for).
    pub fn of(method: &Method) -> Methods {
        ALL.iter()
            .find(|(_, m)| m == method)
            .map_or(Methods::NONE, |(set, _)| *set)
    }

    /// The set's methods, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        ALL.iter()
            .filter(move |(set, _)| !self.intersection(*set).is_empty())
            .map(|(_, method)| method.clone())
    }
}
