//! `Methods`: a set of HTTP methods, small enough to be a constant.

use http::Method;

/// A set of the HTTP methods a route answers.
///
/// ```
/// use atode::routing::Methods;
///
/// let methods = Methods::GET.union(Methods::POST);
/// assert!(methods.contains(&atode::Method::POST));
/// assert!(!methods.contains(&atode::Method::PUT));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Methods(u16);

const ALL: [(Methods, Method); 7] = [
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

    /// Both sets.
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
        ALL.into_iter()
            .filter(move |(set, _)| !self.intersection(*set).is_empty())
            .map(|(_, method)| method)
    }
}
