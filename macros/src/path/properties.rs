//! Property tests for the path grammar. The unit tests in `path.rs` pin
//! each message; these check the promise the runtime relies on: a path the
//! parser accepts means to matchit exactly what it says, with the
//! parameters in the order the generated code reads them.
//!
//! They live inside the crate because a proc-macro crate exports only its
//! macros, so an integration test could not reach the parser.

use proc_macro2::Span;
use proptest::prelude::*;
use syn::LitStr;

use super::RoutePath;

/// Kept modest so the suite stays fast; each case is one parse and one
/// router lookup.
const CASES: u32 = 512;

fn parse(path: &str) -> syn::Result<RoutePath> {
    let lit = LitStr::new(path, Span::call_site());
    crate::ctxt::run(|cx| RoutePath::parse(cx, &lit)).map(|path| path.expect("no error, so a path"))
}

/// Characters a path may hold as written (RFC 3986's `pchar`), and
/// percent-escapes.
const TEXT: &str = "([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})";

fn text(min: usize, max: usize) -> BoxedStrategy<String> {
    proptest::string::string_regex(&format!("{TEXT}{{{min},{max}}}"))
        .expect("a valid regex")
        .boxed()
}

/// A parameter name: a Rust identifier that no keyword can be, since
/// `name` gets its index appended (which also keeps names distinct).
fn stem() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}"
}

/// One segment of a generated route, with the value a request puts there.
#[derive(Debug, Clone)]
enum Segment {
    Static(String),
    Param {
        before: String,
        stem: String,
        after: String,
        value: String,
    },
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        text(1, 8).prop_map(Segment::Static),
        (text(0, 4), stem(), text(0, 4), text(1, 8)).prop_map(|(before, stem, after, value)| {
            Segment::Param {
                before,
                stem,
                after,
                value,
            }
        }),
    ]
}

/// How a generated route ends.
#[derive(Debug, Clone)]
enum End {
    Plain,
    TrailingSlash,
    /// `<stem..>`, and the request's rest: several segments.
    Rest(String, Vec<String>),
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![
        Just(End::Plain),
        Just(End::TrailingSlash),
        (stem(), prop::collection::vec(text(1, 6), 1..4))
            .prop_map(|(stem, segments)| End::Rest(stem, segments)),
    ]
}

/// A route as written, a request path that should match it, and the
/// parameters that match should yield, in order.
#[derive(Debug)]
struct Case {
    declared: String,
    request: String,
    expected: Vec<(String, String)>,
}

fn case() -> impl Strategy<Value = Case> {
    (prop::collection::vec(segment(), 0..5), end()).prop_map(|(segments, end)| {
        let mut declared = String::new();
        let mut request = String::new();
        let mut expected = Vec::new();
        for segment in segments {
            declared.push('/');
            request.push('/');
            match segment {
                Segment::Static(text) => {
                    declared.push_str(&text);
                    request.push_str(&text);
                }
                Segment::Param {
                    before,
                    stem,
                    after,
                    value,
                } => {
                    let name = format!("{stem}{}", expected.len());
                    declared.push_str(&format!("{before}<{name}>{after}"));
                    request.push_str(&format!("{before}{value}{after}"));
                    expected.push((name, value));
                }
            }
        }
        match end {
            End::Plain if declared.is_empty() => {
                declared.push('/');
                request.push('/');
            }
            End::Plain => {}
            End::TrailingSlash => {
                declared.push('/');
                request.push('/');
            }
            End::Rest(stem, segments) => {
                let name = format!("{stem}{}", expected.len());
                let value = segments.join("/");
                declared.push_str(&format!("/<{name}..>"));
                request.push_str(&format!("/{value}"));
                expected.push((name, value));
            }
        }
        Case {
            declared,
            request,
            expected,
        }
    })
}

/// Strings full of the characters the grammar gives meaning to, so the
/// error paths get exercised, not only the happy one.
fn grammar_soup() -> impl Strategy<Value = String> {
    "[/<>{}%.#?* a-fA-F0-9_é-]{0,24}"
}

/// A matchit router holding just `route`, or why matchit refused it.
fn router_for(route: &str) -> Result<matchit::Router<()>, TestCaseError> {
    let mut router = matchit::Router::new();
    router
        .insert(route, ())
        .map_err(|error| TestCaseError::fail(format!("matchit refused {route:?}: {error}")))?;
    Ok(router)
}

/// What holds for every path the parser accepts, whatever it was.
fn check_accepted(path: &RoutePath) -> Result<(), TestCaseError> {
    prop_assert!(
        !path.router.contains(['<', '>']),
        "atode syntax left in {:?}",
        path.router
    );
    prop_assert_eq!(path.router.matches('{').count(), path.params.len());
    for (i, param) in path.params.iter().enumerate() {
        prop_assert!(
            path.params[..i].iter().all(|p| p.name != param.name),
            "duplicate parameter {}",
            param.name
        );
    }
    router_for(&path.router)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn parse_never_panics_on_any_string(path in any::<String>()) {
        if let Ok(parsed) = parse(&path) {
            check_accepted(&parsed)?;
        }
    }

    #[test]
    fn parse_never_panics_on_the_grammars_own_characters(path in grammar_soup()) {
        if let Ok(parsed) = parse(&path) {
            check_accepted(&parsed)?;
        }
    }

    #[test]
    fn accepted_routes_match_their_requests_with_every_value_by_name(case in case()) {
        let parsed = parse(&case.declared)
            .map_err(|error| TestCaseError::fail(format!("{:?} rejected: {error}", case.declared)))?;
        check_accepted(&parsed)?;
        let names: Vec<&str> = parsed.params.iter().map(|p| p.name.as_str()).collect();
        let expected_names: Vec<&str> = case.expected.iter().map(|(n, _)| n.as_str()).collect();
        prop_assert_eq!(names, expected_names);

        let router = router_for(&parsed.router)?;
        let matched = router.at(&case.request).map_err(|error| {
            TestCaseError::fail(format!(
                "{:?} (from {:?}) does not match {:?}: {error}",
                parsed.router, case.declared, case.request
            ))
        })?;
        // In order: the generated code reads parameters by index.
        let got: Vec<(&str, &str)> = matched.params.iter().collect();
        let expected: Vec<(&str, &str)> = case
            .expected
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn static_paths_map_to_themselves(
        segments in prop::collection::vec(text(1, 8), 0..5),
        trailing_slash in any::<bool>(),
    ) {
        let mut declared: String = segments.iter().map(|s| format!("/{s}")).collect();
        if trailing_slash || declared.is_empty() {
            declared.push('/');
        }
        let parsed = parse(&declared)
            .map_err(|error| TestCaseError::fail(format!("{declared:?} rejected: {error}")))?;
        prop_assert_eq!(&parsed.router, &declared);
        prop_assert!(parsed.params.is_empty());
        let router = router_for(&parsed.router)?;
        let matched = router
            .at(&declared)
            .map_err(|error| TestCaseError::fail(format!("{declared:?} does not match itself: {error}")))?;
        prop_assert!(matched.params.is_empty());
    }
}
