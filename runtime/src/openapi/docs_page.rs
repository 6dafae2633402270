//! Serving the document at `/openapi.json` and Swagger UI at `/docs`, every
//! byte of both from the binary: the page loads nothing from elsewhere.

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use swagger_ui_redist::{SwaggerUi, SwaggerUiStaticFile};

use crate::response::json_detail;
use crate::{Body, Response};

/// The document, serialized once, and the page.
pub(crate) struct DocsSite {
    openapi_url: String,
    openapi_json: Bytes,
    /// `(url, html)` of the page, with its files under `url/`.
    docs: Option<(String, Bytes)>,
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
            (url, Bytes::from(html))
        });
        DocsSite {
            openapi_url,
            openapi_json: Bytes::from(document.to_string()),
            docs,
        }
    }

    /// Whether `path` is one this site serves: a route there would never be reached.
    pub(crate) fn serves(&self, path: &str) -> bool {
        path == self.openapi_url || self.docs_file(path).is_some()
    }

    /// The answer to a request for one of the site's paths, or `None` for
    /// any other path.
    pub(crate) fn answer(&self, method: &Method, path: &str) -> Option<Response> {
        let (body, content_type) = if path == self.openapi_url {
            (self.openapi_json.clone(), "application/json")
        } else {
            self.docs_file(path)?
        };
        if method != Method::GET && method != Method::HEAD {
            let mut response = json_detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Some(response);
        }
        let mut response = Response::new(Body::from(body));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Some(response)
    }

    fn docs_file(&self, path: &str) -> Option<(Bytes, &'static str)> {
        let (url, html) = self.docs.as_ref()?;
        let rest = path.strip_prefix(url.as_str())?;
        if rest.is_empty() {
            return Some((html.clone(), "text/html; charset=utf-8"));
        }
        let name = rest.strip_prefix('/')?;
        let (file, bytes) = SwaggerUi::static_files()
            .iter()
            .find(|(file, _)| file.file_name() == name)?;
        let content_type = match file {
            SwaggerUiStaticFile::Css | SwaggerUiStaticFile::IndexCss => "text/css; charset=utf-8",
            SwaggerUiStaticFile::Js | SwaggerUiStaticFile::StandalonePresetJs => {
                "text/javascript; charset=utf-8"
            }
            _ => "image/png",
        };
        Some((Bytes::from_static(bytes), content_type))
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
