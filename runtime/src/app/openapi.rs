//! The app's OpenAPI document: its settings, and the document itself.

use std::sync::Arc;

use serde_json::Value;

use super::{App, StartupError};
use crate::openapi::{self, DocsSite};
use crate::routing::Routing;

impl App {
    /// The document's title (`info.title`); default `atode`. Also the
    /// title of the `/docs` page.
    ///
    /// ```
    /// let document = atode::App::new().title("Shop").openapi().unwrap();
    /// assert_eq!(document["info"]["title"], "Shop");
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.inner_mut().openapi.info.title = title.into();
        self
    }

    /// The API's version (`info.version`); default `0.1.0`.
    ///
    /// ```
    /// let document = atode::App::new().version("2.1.0").openapi().unwrap();
    /// assert_eq!(document["info"]["version"], "2.1.0");
    /// ```
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.inner_mut().openapi.info.version = version.into();
        self
    }

    /// The API's description (`info.description`), in Markdown.
    ///
    /// ```
    /// let document = atode::App::new().description("Sells *pens*.").openapi().unwrap();
    /// assert_eq!(document["info"]["description"], "Sells *pens*.");
    /// ```
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.inner_mut().openapi.info.description = Some(description.into());
        self
    }

    /// Adds a server the API is reachable at, with an optional description,
    /// in the document's `servers`.
    ///
    /// ```
    /// let document = atode::App::new()
    ///     .server("https://api.example.com", Some("production"))
    ///     .openapi()
    ///     .unwrap();
    /// assert_eq!(document["servers"][0]["url"], "https://api.example.com");
    /// ```
    pub fn server(mut self, url: impl Into<String>, description: Option<&str>) -> Self {
        let server = (url.into(), description.map(str::to_owned));
        self.inner_mut().openapi.servers.push(server);
        self
    }

    /// Describes a tag that routes name in `tags = [...]`; the document
    /// lists tags in the order they are described.
    ///
    /// ```
    /// let document = atode::App::new().tag("items", "Everything sold").openapi().unwrap();
    /// assert_eq!(document["tags"][0]["name"], "items");
    /// assert_eq!(document["tags"][0]["description"], "Everything sold");
    /// ```
    pub fn tag(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        let tag = (name.into(), Some(description.into()));
        self.inner_mut().openapi.tags.push(tag);
        self
    }

    /// Where the document is served; default `/openapi.json`. `None`
    /// serves neither the document nor the `/docs` page.
    ///
    /// ```
    /// use atode::{App, testing::TestClient};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().openapi_url(Some("/api/openapi.json")));
    /// assert_eq!(client.get("/api/openapi.json").await.status(), 200);
    /// assert_eq!(client.get("/openapi.json").await.status(), 404);
    /// let client = TestClient::new(App::new().openapi_url(None));
    /// assert_eq!(client.get("/docs").await.status(), 404);
    /// # }
    /// ```
    pub fn openapi_url(mut self, url: Option<&str>) -> Self {
        self.inner_mut().openapi.openapi_url = url.map(str::to_owned);
        self
    }

    /// Where the Swagger UI page is served; default `/docs`, its files
    /// under `/docs/`. `None` serves no page (the document stays).
    ///
    /// ```
    /// use atode::{App, testing::TestClient};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().docs_url(None));
    /// assert_eq!(client.get("/docs").await.status(), 404);
    /// assert_eq!(client.get("/openapi.json").await.status(), 200);
    /// # }
    /// ```
    pub fn docs_url(mut self, url: Option<&str>) -> Self {
        self.inner_mut().openapi.docs_url = url.map(str::to_owned);
        self
    }

    /// The app's OpenAPI 3.1 document, as served at `/openapi.json`; an
    /// error if two routes have one `operationId` (one handler name).
    /// See [`atode::openapi`](crate::openapi).
    ///
    /// ```
    /// use atode::{get, routes, App};
    ///
    /// /// Read one item.
    /// #[get("/items/<id>")]
    /// async fn read_item(id: u32) -> String {
    ///     id.to_string()
    /// }
    ///
    /// let document = App::new().routes(routes![read_item]).openapi().unwrap();
    /// assert_eq!(document["openapi"], "3.1.0");
    /// let operation = &document["paths"]["/items/{id}"]["get"];
    /// assert_eq!(operation["summary"], "Read one item.");
    /// assert_eq!(operation["parameters"][0]["schema"]["format"], "uint32");
    /// ```
    pub fn openapi(&self) -> Result<Value, StartupError> {
        self.build_openapi()
            .map(|built| built.document)
            .map_err(|problems| StartupError { problems })
    }

    /// What the document leaves out because the routes' types do not say:
    /// an extractor with no [`OperationInput`](crate::openapi::OperationInput),
    /// a body type with no `JsonSchema`, a return type that cannot be named.
    /// Each names its route. A test can assert that there are none:
    ///
    /// ```
    /// use atode::{post, routes, App, Json};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct NewItem {
    ///     name: String,
    /// }
    ///
    /// #[post("/items")]
    /// async fn create(Json(item): Json<NewItem>) -> String {
    ///     item.name
    /// }
    ///
    /// let gaps = App::new().routes(routes![create]).openapi_gaps();
    /// assert_eq!(gaps.len(), 1);
    /// assert!(gaps[0].starts_with("`create` (POST /items): parameter `Json(item): Json<NewItem>`"));
    /// ```
    pub fn openapi_gaps(&self) -> Vec<String> {
        match self.build_openapi() {
            Ok(built) => built.gaps,
            Err(problems) => problems,
        }
    }

    fn build_openapi(&self) -> Result<openapi::Built, Vec<String>> {
        openapi::build(self.inner.routing.router.routes(), &self.inner.openapi)
    }

    /// What stops the document being served: two routes with one
    /// `operationId`, a route the document or the page would hide, a URL
    /// that is not a path.
    pub(super) fn openapi_problems(&self) -> Vec<String> {
        let settings = &self.inner.openapi;
        let Some(openapi_url) = &settings.openapi_url else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        for (setting, url) in [
            ("openapi_url", Some(openapi_url)),
            ("docs_url", settings.docs_url.as_ref()),
        ] {
            if let Some(url) = url.filter(|url| !url.starts_with('/') || url.len() < 2) {
                problems.push(format!(
                    "`App::{setting}` is `{url}`, which is not a path: give one such as `/docs`, or `None`"
                ));
            }
        }
        match self.docs_site() {
            Ok(site) => {
                for route in self.inner.routing.router.routes() {
                    let info = route.info();
                    if site.serves(info.path) {
                        problems.push(format!(
                            "`{}` answers {}, where the app serves its API documentation: move the route, or the documentation with `App::openapi_url` / `App::docs_url`",
                            info.name, info.declared
                        ));
                    }
                }
            }
            Err(more) => problems.extend(more.iter().cloned()),
        }
        problems
    }

    /// The document, serialized, and its page: built once for the app as
    /// configured, shared by [`App::check`] and the served routing.
    fn docs_site(&self) -> &Result<Arc<DocsSite>, Vec<String>> {
        self.inner.docs.get_or_init(|| {
            let built = self.build_openapi()?;
            let settings = &self.inner.openapi;
            Ok(Arc::new(DocsSite::new(
                settings.openapi_url.clone().unwrap_or_default(),
                &built.document,
                settings.docs_url.clone(),
                &settings.info.title,
            )))
        })
    }

    /// The routing with the document and the page in front of it, when the
    /// app serves them.
    pub(super) fn routing_with_docs(&self) -> Arc<Routing> {
        let routing = &self.inner.routing;
        if self.inner.openapi.openapi_url.is_none() {
            return Arc::clone(routing);
        }
        match self.docs_site() {
            Ok(site) => {
                let mut with_docs = (**routing).clone();
                with_docs.docs = Some(Arc::clone(site));
                Arc::new(with_docs)
            }
            Err(problems) => {
                // `App::check` reports these before serving; an app served
                // without it is served without its document.
                tracing::error!(target: "atode::openapi", "no OpenAPI document: {}", problems.join("; "));
                Arc::clone(routing)
            }
        }
    }
}
