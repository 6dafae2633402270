//! Path parameters: where they sit in the request path, percent-decoding,
//! and parsing with `FromStr` into a handler's parameter types.

use std::any::TypeId;
use std::fmt::Display;
use std::ops::Range;
use std::str::FromStr;

use super::decode::percent_decode;
use super::{ErrorDetail, RequestParts, ValidationError};

/// The byte ranges of a matched route's parameters within the request path,
/// in the order they appear in the route. Ranges rather than strings, so a
/// match copies nothing; the first few kept inline, so a route with up to
/// [`INLINE`] parameters allocates nothing for them.
#[derive(Debug, Default)]
pub(crate) struct PathParams {
    inline: [Range<usize>; INLINE],
    /// How many of `inline` are set.
    len: usize,
    /// The ranges past the first [`INLINE`]: empty (so unallocated) for
    /// nearly every route.
    rest: Vec<Range<usize>>,
}

/// How many parameters a route can have before their ranges spill onto
/// the heap.
const INLINE: usize = 4;

impl PathParams {
    /// Records where each of `values` (slices of `path`) sits in `path`.
    pub(crate) fn from_slices<'p>(path: &'p str, values: impl Iterator<Item = &'p str>) -> Self {
        let base = path.as_ptr() as usize;
        let mut params = PathParams::default();
        for value in values {
            // matchit hands back sub-slices of the path it was given.
            let start = value.as_ptr() as usize - base;
            params.push(start..start + value.len());
        }
        params
    }

    /// Records the next parameter's range.
    #[inline]
    pub(crate) fn push(&mut self, range: Range<usize>) {
        if self.len < INLINE {
            self.inline[self.len] = range;
            self.len += 1;
        } else {
            self.rest.push(range);
        }
    }

    /// Whether the route has no parameters.
    #[cfg(feature = "openapi")]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn get<'p>(&self, index: usize, path: &'p str) -> Option<&'p str> {
        let range = match self.inline[..self.len].get(index) {
            Some(range) => range,
            // Past the inline ranges: `index >= len` here.
            None => self.rest.get(index - self.len)?,
        };
        path.get(range.clone())
    }
}

/// Collects every path parameter that fails to parse, so a client learns
/// about all of them at once. Allocates only when something fails.
#[derive(Debug, Default)]
pub(crate) struct PathErrors {
    /// Each failure with its parameter's place in the path.
    details: Vec<(usize, ErrorDetail)>,
}

impl PathErrors {
    pub(crate) fn parse<T>(
        &mut self,
        parts: &RequestParts,
        index: usize,
        name: &'static str,
    ) -> Option<T>
    where
        T: FromStr + 'static,
        T::Err: Display,
    {
        let raw = parts.path_param(index).unwrap_or_default();
        if is_rest(parts.route_syntax(), name) {
            if let Err(problem) = safe_relative_path(raw) {
                self.push(
                    index,
                    "value_error",
                    name,
                    format!("Value error, {problem}"),
                    raw,
                );
                return None;
            }
        }
        let Some(decoded) = percent_decode(raw) else {
            self.push(
                index,
                "string_unicode",
                name,
                "Input should be a valid string, unable to parse raw data as a unicode string"
                    .to_owned(),
                raw,
            );
            return None;
        };
        match decoded.parse::<T>() {
            Ok(value) => Some(value),
            Err(error) => {
                let (kind, msg) = describe::<T>(&error);
                self.push(index, kind, name, msg, &decoded);
                None
            }
        }
    }

    fn push(
        &mut self,
        index: usize,
        kind: &'static str,
        name: &'static str,
        msg: String,
        input: &str,
    ) {
        let detail = ErrorDetail {
            kind,
            loc: vec!["path".into(), name.into()],
            msg,
            input: Some(input.into()),
            ctx: None,
        };
        self.details.push((index, detail));
    }

    /// The `422`, listing the failures in the order the path has them,
    /// whatever order the handler's parameters are in.
    pub(crate) fn into_rejection(mut self) -> ValidationError {
        self.details.sort_by_key(|(index, _)| *index);
        ValidationError::new(self.details.into_iter().map(|(_, detail)| detail).collect())
    }
}

/// Whether `name` is the route's `<name..>` parameter: `{*name}` in the
/// router's syntax, always at the end.
fn is_rest(route: &str, name: &str) -> bool {
    route
        .strip_suffix('}')
        .and_then(|route| route.strip_suffix(name))
        .is_some_and(|route| route.ends_with("{*"))
}

/// Checks that a `<rest..>` value, still percent-encoded, is a relative
/// path that stays below where it is joined: no absolute path, no empty,
/// `.` or `..` segment, and no NUL, backslash or encoded `/` hiding one.
/// Segments are checked after decoding, so `%2e%2e` is `..`.
pub(crate) fn safe_relative_path(raw: &str) -> Result<(), &'static str> {
    if raw.starts_with('/') {
        return Err("the path must be relative, not absolute");
    }
    for segment in raw.split('/') {
        let decoded = percent_decode(segment).ok_or("the path is not valid UTF-8")?;
        match &*decoded {
            "" => return Err("the path must not have empty segments"),
            "." | ".." => return Err("the path must not have `.` or `..` segments"),
            text if text.contains(['/', '\\']) => {
                return Err("the path must not hide `/` or `\\` in a segment");
            }
            text if text.contains('\0') => return Err("the path must not contain NUL"),
            _ => {}
        }
    }
    Ok(())
}

/// FastAPI's (pydantic's) error type and message for the common types, and
/// the type's own `FromStr` error otherwise.
fn describe<T: 'static>(error: &dyn Display) -> (&'static str, String) {
    let id = TypeId::of::<T>();
    let is = |ids: &[TypeId]| ids.contains(&id);
    let ints = [
        TypeId::of::<i8>(),
        TypeId::of::<i16>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
        TypeId::of::<i128>(),
        TypeId::of::<isize>(),
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<u128>(),
        TypeId::of::<usize>(),
    ];
    if is(&ints) {
        (
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer".to_owned(),
        )
    } else if is(&[TypeId::of::<f32>(), TypeId::of::<f64>()]) {
        (
            "float_parsing",
            "Input should be a valid number, unable to parse string as a number".to_owned(),
        )
    } else if is(&[TypeId::of::<bool>()]) {
        (
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input".to_owned(),
        )
    } else {
        ("value_error", format!("Value error, {error}"))
    }
}

/// A type a `<name>` path parameter can be parsed into: any type with
/// [`FromStr`](std::str::FromStr) whose error is `Display` (`String`,
/// integers, `bool`, `Uuid`, your own types). Path parameters are parsed
/// from the percent-decoded segment with `FromStr`, not deserialized with
/// serde as axum's `Path` is; a segment that does not parse is a `422`
/// whose message is the error's `Display`.
///
/// ```
/// use atode::{get, routes, App, testing::TestClient};
///
/// struct Sku(String);
///
/// impl std::str::FromStr for Sku {
///     type Err = String;
///
///     fn from_str(text: &str) -> Result<Self, String> {
///         match text.strip_prefix("sku-") {
///             Some(rest) if !rest.is_empty() => Ok(Sku(rest.to_owned())),
///             _ => Err("Input should start with `sku-`".to_owned()),
///         }
///     }
/// }
///
/// #[get("/items/<sku>")]
/// async fn item(sku: Sku) -> String {
///     sku.0
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![item]));
/// assert_eq!(client.get("/items/sku-42").await.text(), "42");
/// assert_eq!(client.get("/items/42").await.status(), 422);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "the path parameter type `{Self}` cannot be parsed from a URL segment: it does not implement `FromStr`",
    label = "path parameters are parsed with `FromStr`",
    note = "implement `std::str::FromStr` for `{Self}` (its error must implement `Display`: it becomes the 422's message); path parameters are not deserialized with serde, as axum's `Path` is"
)]
pub trait PathParam: std::str::FromStr<Err: std::fmt::Display> + 'static {}

impl<T> PathParam for T
where
    T: std::str::FromStr + 'static,
    T::Err: std::fmt::Display,
{
}

/// Parses a route's path parameters, collecting every failure so the `422`
/// lists them all. What the route macros call; not for hand-written code.
/// (Here, not in `__private`, as rustc names it when a type is no
/// [`PathParam`].)
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct PathParser(PathErrors);

impl PathParser {
    pub fn new() -> Self {
        PathParser::default()
    }

    /// The parameter at `index` (its place in the route's path), parsed.
    pub fn parse<T: PathParam>(
        &mut self,
        parts: &super::RequestParts,
        index: usize,
        name: &'static str,
    ) -> Option<T> {
        self.0.parse::<T>(parts, index, name)
    }

    pub fn into_response(self) -> crate::Response {
        use crate::IntoResponse;
        self.0.into_rejection().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rest_parameter_is_found_by_its_router_syntax() {
        assert!(is_rest("/files/{*path}", "path"));
        assert!(!is_rest("/files/{path}", "path"));
        assert!(!is_rest("/files/{*subpath}", "path"));
    }

    #[test]
    fn only_safe_relative_paths_pass() {
        for safe in ["a", "a/b/c.txt", "caf%C3%A9/x", "a..b/.hidden"] {
            assert_eq!(safe_relative_path(safe), Ok(()), "{safe}");
        }
        for unsafe_path in [
            "../etc/passwd",
            "a/../../b",
            "%2e%2e/x",
            "a/%2E%2E",
            "/etc/passwd",
            "a//b",
            "a/./b",
            "a/",
            "a%2fb",
            "a%5cb",
            "a\\b",
            "a%00b",
            "%ff",
        ] {
            assert!(safe_relative_path(unsafe_path).is_err(), "{unsafe_path}");
        }
    }

    #[test]
    fn ranges_point_back_into_the_path() {
        let path = "/items/42/files/a/b";
        let params = PathParams::from_slices(path, [&path[7..9], &path[16..]].into_iter());
        assert_eq!(params.get(0, path), Some("42"));
        assert_eq!(params.get(1, path), Some("a/b"));
        assert_eq!(params.get(2, path), None);
    }

    /// Past the inline ranges, the rest spill onto the heap, in order.
    #[test]
    fn more_parameters_than_fit_inline_keep_their_order() {
        let path = "/a/b/c/d/e/f";
        let values: Vec<&str> = (0..6).map(|i| &path[2 * i + 1..2 * i + 2]).collect();
        let params = PathParams::from_slices(path, values.iter().copied());
        let got: Vec<_> = (0..7).map(|i| params.get(i, path)).collect();
        assert_eq!(
            got,
            [
                Some("a"),
                Some("b"),
                Some("c"),
                Some("d"),
                Some("e"),
                Some("f"),
                None
            ]
        );
        assert!(
            !params.rest.is_empty(),
            "six parameters spill past {INLINE}"
        );
    }

    #[test]
    fn integer_errors_read_like_fastapis() {
        let error = "foo".parse::<u32>().unwrap_err();
        let (kind, msg) = describe::<u32>(&error);
        assert_eq!(kind, "int_parsing");
        assert!(msg.starts_with("Input should be a valid integer"), "{msg}");
    }
}
