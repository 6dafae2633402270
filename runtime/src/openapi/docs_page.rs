//! Serving the document at `/openapi.json` and Swagger UI at `/docs`, every
//! byte of both from the binary: the page loads nothing from elsewhere.
//!
//! Each file has a strong `ETag` and `Cache-Control: no-cache`, and a
//! matching `If-None-Match` is a `304`: a browser asks each time, so it
//! never shows a stale document after a deploy, and is answered without the
//! body (the Swagger UI bundle is 1.4 MB) while its copy is current.

use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use swagger_ui_redist::{SwaggerUi, SwaggerUiStaticFile};

use crate::response::json_detail;
use crate::{Body, Response};

/// One file the site serves: its bytes, type and entity tag.
struct File {
    body: Bytes,
    content_type: &'static str,
    /// The quoted tag, `"<16 hex digits>"`, of `body`.
    etag: HeaderValue,
}

impl File {
    fn new(body: Bytes, content_type: &'static str) -> Self {
        let etag = entity_tag(&body);
        File {
            body,
            content_type,
            etag,
        }
    }
}

/// The document, serialized once, and the page.
pub(crate) struct DocsSite {
    openapi_url: String,
    openapi_json: File,
    /// The page's url and its HTML, with its files under `url/`.
    docs: Option<(String, File)>,
}

impl DocsSite {
    pub(crate) fn new(
        openapi_url: String,
        document: &serde_json::Value,
        docs_url: Option<String>,
        title: &str,
    ) -> Self {
        let docs = docs_url.map(|url| {
            let mut page = SwaggerUi::new();
            page.title(format!("{} - Swagger UI", escape_html(title)));
            for file in SwaggerUiStaticFile::all() {
                page.override_file_path(*file, format!("{url}/{}", file.file_name()));
            }
            page.config()
                .urls([openapi_url.clone()])
                // Swagger UI would otherwise ask swagger.io to validate the document.
                .validator_url("none");
            // Only fails if the config cannot be serialized, which a fixed
            // config always can.
            let html = page.serve().unwrap_or_default();
            // Tagged now, as the bundled files are: a request only compares.
            swagger_files();
            (
                url,
                File::new(Bytes::from(html), "text/html; charset=utf-8"),
            )
        });
        DocsSite {
            openapi_url,
            openapi_json: File::new(Bytes::from(document.to_string()), "application/json"),
            docs,
        }
    }

    /// Whether `path` is one this site serves: a route there would never be reached.
    pub(crate) fn serves(&self, path: &str) -> bool {
        path == self.openapi_url || self.docs_file(path).is_some()
    }

    /// The answer to a request for one of the site's paths, or `None` for
    /// any other path: the file, or a `304` when `headers` has an
    /// `If-None-Match` its tag satisfies.
    pub(crate) fn answer(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Response> {
        let file = if path == self.openapi_url {
            &self.openapi_json
        } else {
            self.docs_file(path)?
        };
        if method != Method::GET && method != Method::HEAD {
            // Before the precondition: RFC 9110 13.2.1 has a server ignore
            // one when the request would not succeed without it.
            let mut response = json_detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Some(response);
        }
        let unchanged = if_none_match_fails(headers, &file.etag);
        let mut response = if unchanged {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else {
            let mut response = Response::new(Body::from(file.body.clone()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(file.content_type),
            );
            response
        };
        // On the 304 too: it carries the ETag and Cache-Control the 200
        // would have (RFC 9110 15.4.5), which a cache stores in place of
        // its copy's.
        let headers = response.headers_mut();
        headers.insert(header::ETAG, file.etag.clone());
        // Stored, but asked about before each reuse: the document changes
        // with each deploy, without a new URL.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        Some(response)
    }

    fn docs_file(&self, path: &str) -> Option<&File> {
        let (url, html) = self.docs.as_ref()?;
        let rest = path.strip_prefix(url.as_str())?;
        if rest.is_empty() {
            return Some(html);
        }
        let name = rest.strip_prefix('/')?;
        swagger_files()
            .iter()
            .find(|(file, _)| file.file_name() == name)
            .map(|(_, file)| file)
    }
}

/// Swagger UI's files, bundled in the binary, each tagged once for the
/// whole process: every app serves the same ones.
fn swagger_files() -> &'static [(SwaggerUiStaticFile, File)] {
    static FILES: OnceLock<Vec<(SwaggerUiStaticFile, File)>> = OnceLock::new();
    FILES.get_or_init(|| {
        SwaggerUi::static_files()
            .iter()
            .map(|(file, bytes)| {
                let content_type = match file {
                    SwaggerUiStaticFile::Css | SwaggerUiStaticFile::IndexCss => {
                        "text/css; charset=utf-8"
                    }
                    SwaggerUiStaticFile::Js | SwaggerUiStaticFile::StandalonePresetJs => {
                        "text/javascript; charset=utf-8"
                    }
                    _ => "image/png",
                };
                (*file, File::new(Bytes::from_static(bytes), content_type))
            })
            .collect()
    })
}

/// A strong entity tag for `bytes`: their 64-bit FNV-1a hash, quoted.
///
/// A tag has to be the same for the same bytes in every process (a
/// restart, another replica behind the same name), so std's hasher, whose
/// algorithm may change between Rust versions, will not do. FNV-1a is not
/// a cryptographic hash: fine for a validator of the server's own files,
/// which nobody can choose to collide with another version of themselves.
fn entity_tag(bytes: &[u8]) -> HeaderValue {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let hash = bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    HeaderValue::try_from(format!("\"{hash:016x}\""))
        .expect("a quoted hexadecimal number is a header value")
}

/// Whether `headers`' `If-None-Match` fails for a representation tagged
/// `etag` (RFC 9110 13.1.2): it is `*`, or lists a tag that matches
/// `etag` by the weak comparison, so the client's copy is current and the
/// answer to a `GET` or `HEAD` is `304`. A list that cannot be parsed
/// counts for the tags read before the error.
fn if_none_match_fails(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    // `"` + opaque + `"`, and `W/` does not count in a weak comparison.
    let ours = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        let value = value.as_bytes();
        if value.trim_ascii() == b"*" {
            return true;
        }
        EntityTags(value).any(|tag| tag == ours)
    })
}

/// The entity tags of an `If-None-Match` field value, each as `"opaque"`
/// without its `W/`, up to the first thing that is not one.
struct EntityTags<'a>(&'a [u8]);

impl<'a> Iterator for EntityTags<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // Commas and whitespace between members; empty members allowed
        // (RFC 9110 5.6.1).
        let start = self
            .0
            .iter()
            .position(|&byte| !matches!(byte, b',' | b' ' | b'\t'))?;
        let rest = &self.0[start..];
        let rest = rest.strip_prefix(b"W/").unwrap_or(rest);
        let closing = match rest {
            [b'"', tail @ ..] => tail.iter().position(|&byte| byte == b'"')?,
            _ => {
                self.0 = &[];
                return None;
            }
        };
        let (tag, tail) = rest.split_at(closing + 2);
        self.0 = tail;
        Some(tag)
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tag is FNV-1a's published value, so it is the same for every
    /// build of every version: a client's copy stays valid across them.
    #[test]
    fn the_tag_is_the_fnv_1a_64_hash_of_the_bytes() {
        assert_eq!(entity_tag(b""), "\"cbf29ce484222325\"");
        assert_eq!(entity_tag(b"a"), "\"af63dc4c8601ec8c\"");
        assert_eq!(entity_tag(b"foobar"), "\"85944171f73967e8\"");
    }

    #[test]
    fn if_none_match_lists_are_read_up_to_the_first_malformed_member() {
        let tag = HeaderValue::from_static("\"abc\"");
        let fails = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            if_none_match_fails(&headers, &tag)
        };
        assert!(fails("\"abc\""));
        assert!(fails(" * "));
        assert!(fails("W/\"abc\""));
        assert!(fails("\"x\",W/\"abc\""));
        assert!(fails(", ,\t\"x\" , \"abc\","));
        assert!(!fails("\"abcd\""));
        assert!(!fails("abc"));
        assert!(!fails("\"abc"));
        assert!(!fails("w/\"abc\""), "the weak prefix is case-sensitive");
        assert!(!fails("\"x\"junk, \"abc\""));
        assert!(!fails("\"x\", *"), "`*` is the whole field or nothing");
        assert!(!fails(""));
    }
}
