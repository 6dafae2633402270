//! `Router`: routes grouped under a path prefix, with tags for the API
//! documentation, that an app (or another router) takes whole: FastAPI's
//! `APIRouter(prefix=..., tags=[...])` and `include_router`.

use super::{RouteDef, RouteDoc, RouteInfo, RoutesLayer, Wrap};
use crate::middleware::Middleware;

/// Routes under a common path prefix, with tags added to each for the
/// OpenAPI document. [`App::router`](crate::App::router) adds them to an
/// app; [`Router::router`] nests one router in another, the prefixes
/// joined.
///
/// ```
/// use atode::{get, post, routes, App, Router, testing::TestClient};
///
/// mod users {
///     use atode::{get, routes, Router};
///
///     #[get("/")]
///     async fn list_users() -> &'static str {
///         "[]"
///     }
///
///     #[get("/<id>")]
///     async fn read_user(id: u32) -> String {
///         format!("user {id}")
///     }
///
///     pub fn router() -> Router {
///         Router::new("/users").tag("users").routes(routes![list_users, read_user])
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let api = Router::new("/api/v1").router(users::router());
/// let app = App::new().router(api);
/// let client = TestClient::new(app.clone());
/// assert_eq!(client.get("/api/v1/users/7").await.text(), "user 7");
/// assert_eq!(client.get("/api/v1/users/").await.text(), "[]");
///
/// let route = &app.openapi().unwrap()["paths"]["/api/v1/users/{id}"]["get"];
/// assert_eq!(route["tags"], serde_json::json!(["users"]));
/// # }
/// ```
///
/// A prefix is a plain path: it starts with `/`, does not end with one,
/// and has no parameters (they bind handler parameters, which only a
/// route's own attribute can name). A prefix that breaks these rules, and
/// two routes that answer one request, are start-up errors naming them.
#[derive(Clone, Debug, Default)]
pub struct Router {
    prefix: String,
    tags: Vec<String>,
    /// Each route with the layers and middleware of the routers nested in
    /// this one, innermost first.
    routes: Vec<(RouteDef, Vec<Wrap>)>,
    /// This router's own, applied to every route in it when it is added.
    wraps: Vec<Wrap>,
    problems: Vec<String>,
}

impl Router {
    /// A router whose routes' paths start with `prefix` (`""` for none).
    pub fn new(prefix: &str) -> Self {
        let mut problems = Vec::new();
        if let Some(problem) = prefix_problem(prefix) {
            problems.push(problem);
        }
        Router {
            prefix: prefix.to_owned(),
            tags: Vec::new(),
            routes: Vec::new(),
            wraps: Vec::new(),
            problems,
        }
    }

    /// Adds a tag to each of the router's routes in the OpenAPI document,
    /// after the tags of their own attributes.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Adds routes, as [`routes!`](crate::routes) lists them.
    pub fn routes(mut self, routes: impl IntoIterator<Item = RouteDef>) -> Self {
        self.routes
            .extend(routes.into_iter().map(|route| (route, Vec::new())));
        self
    }

    /// Wraps each of the router's routes (nested routers' too) in a tower
    /// layer, inside the app's layers: a timeout for slow reports, a
    /// limit for uploads. Only requests that reach one of these routes go
    /// through it; one that matches none is the app's `404` or `405`.
    /// Layers and middleware wrap in the order added, the last outermost,
    /// and those of a nested router are inside its parent's.
    ///
    /// ```
    /// use atode::{get, routes, App, Router, testing::TestClient};
    /// use tower_http::set_header::SetResponseHeaderLayer;
    /// use atode::http::{HeaderName, HeaderValue};
    ///
    /// #[get("/report")]
    /// async fn report() -> &'static str {
    ///     "all good"
    /// }
    ///
    /// #[get("/health")]
    /// async fn health() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let no_store = SetResponseHeaderLayer::overriding(
    ///     HeaderName::from_static("cache-control"),
    ///     HeaderValue::from_static("no-store"),
    /// );
    /// let admin = Router::new("/admin").layer(no_store).routes(routes![report]);
    /// let client = TestClient::new(App::new().router(admin).routes(routes![health]));
    /// assert_eq!(client.get("/admin/report").await.header("cache-control"), Some("no-store"));
    /// assert_eq!(client.get("/health").await.header("cache-control"), None);
    /// # }
    /// ```
    pub fn layer<L: RoutesLayer>(mut self, layer: L) -> Self {
        self.wraps.push(Wrap::layer(layer));
        self
    }

    /// Wraps each of the router's routes in a middleware function (see
    /// [`Middleware`]), as [`Router::layer`] does a layer. A middleware
    /// around a single route is a router of that route, with no prefix.
    ///
    /// ```
    /// use atode::middleware::Next;
    /// use atode::extract::BearerToken;
    /// use atode::{delete, get, routes, App, Body, Response, Router, testing::TestClient};
    /// use atode::http::Request;
    ///
    /// /// Lets through any request with a bearer token; `BearerToken`
    /// /// answers `401` for the others.
    /// async fn signed_in(_: BearerToken, request: Request<Body>, next: Next) -> Response {
    ///     next.run(request).await
    /// }
    ///
    /// #[get("/posts")]
    /// async fn list_posts() -> &'static str {
    ///     "[]"
    /// }
    ///
    /// #[delete("/posts")]
    /// async fn delete_posts() -> &'static str {
    ///     "deleted"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .routes(routes![list_posts])
    ///     .router(Router::new("").middleware(signed_in).routes(routes![delete_posts]));
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/posts").await.status(), 200);
    /// assert_eq!(client.delete("/posts").await.status(), 401);
    /// let signed = client.delete("/posts").header("authorization", "Bearer abc").await;
    /// assert_eq!(signed.text(), "deleted");
    /// # }
    /// ```
    pub fn middleware<M, Args>(mut self, function: M) -> Self
    where
        M: Middleware<Args>,
    {
        self.wraps.push(crate::middleware::wrap(function));
        self
    }

    /// Nests `inner` under this router: its routes' paths get this
    /// router's prefix before their own, and this router's tags after
    /// their own.
    pub fn router(mut self, inner: Router) -> Self {
        let (routes, problems) = inner.into_routes();
        self.problems.extend(problems);
        self.routes.extend(routes);
        self
    }

    /// The routes with the prefix and tags applied, and what is wrong with
    /// the router.
    pub(crate) fn into_routes(self) -> (Vec<(RouteDef, Vec<Wrap>)>, Vec<String>) {
        let Router {
            prefix,
            tags,
            routes,
            wraps,
            mut problems,
        } = self;
        if !problems.is_empty() {
            // The routes are left out: a wrong prefix would serve them
            // at paths no one meant.
            problems.dedup();
            return (Vec::new(), problems);
        }
        let routes = routes
            .into_iter()
            .map(|(route, mut inner)| {
                inner.extend(wraps.iter().cloned());
                (under(route, &prefix, &tags), inner)
            })
            .collect();
        (routes, problems)
    }
}

/// What is wrong with `prefix`, if anything.
fn prefix_problem(prefix: &str) -> Option<String> {
    let problem = if prefix.is_empty() {
        return None;
    } else if !prefix.starts_with('/') {
        "does not start with `/`"
    } else if prefix.ends_with('/') {
        "ends with `/`: the routes' own paths start with one"
    } else if prefix.contains(['<', '>', '{', '}']) {
        "has a parameter: a parameter binds a handler parameter, which only the route's own path can name"
    } else {
        return None;
    };
    Some(format!("the router prefix `{prefix}` {problem}"))
}

/// `route` with its paths under `prefix` and `tags` added to its own.
///
/// A route's description is `'static`, as the macros write it; a prefixed
/// one is made once, when the app is built, and lives as long as the
/// program, as the macros' do.
fn under(route: RouteDef, prefix: &str, tags: &[String]) -> RouteDef {
    if prefix.is_empty() && tags.is_empty() {
        return route;
    }
    let info = route.info;
    let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
    let mut all_tags: Vec<&'static str> = info.doc.tags.to_vec();
    for tag in tags {
        if !all_tags.contains(&tag.as_str()) {
            all_tags.push(leak(tag.clone()));
        }
    }
    let doc = &info.doc;
    let info: &'static RouteInfo = Box::leak(Box::new(RouteInfo {
        name: info.name,
        methods: info.methods,
        path: leak(format!("{prefix}{}", info.path)),
        declared: leak(format!("{prefix}{}", info.declared)),
        body_limit: info.body_limit,
        doc: RouteDoc {
            summary: doc.summary,
            description: doc.description,
            tags: Box::leak(all_tags.into_boxed_slice()),
            deprecated: doc.deprecated,
            include_in_schema: doc.include_in_schema,
            status: doc.status,
            response_description: doc.response_description,
            errors: doc.errors,
        },
    }));
    RouteDef { info, ..route }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_a_plain_path() {
        assert!(prefix_problem("").is_none());
        assert!(prefix_problem("/api/v1").is_none());
        assert!(
            prefix_problem("api")
                .unwrap()
                .contains("does not start with `/`")
        );
        assert!(prefix_problem("/api/").unwrap().contains("ends with `/`"));
        assert!(
            prefix_problem("/teams/<team>")
                .unwrap()
                .contains("has a parameter")
        );
    }
}
