//! `Middleware`: the async functions a middleware can be, with or without
//! extractors before the request and `Next`; and how each becomes a layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{FnService, Next};
use crate::extract::{FromRequestParts, PathParams, RemoteAddr, RequestParts, Requirements};
use crate::routing::{Layered, Methods, RouteDoc, RouteInfo, Routes, Wrap};
use crate::shared::AppShared;
use crate::{Body, IntoResponse, Response};

/// What middleware extractors see as their route: a middleware runs before
/// any route is chosen. Logs name it `middleware`.
static MIDDLEWARE: RouteInfo = RouteInfo {
    name: "middleware",
    methods: Methods::NONE,
    path: "",
    declared: "(middleware)",
    body_limit: None,
    doc: RouteDoc::DEFAULT,
};

type BoxResponse = Pin<Box<dyn Future<Output = Response> + Send>>;

/// An async function that can be a middleware:
/// `async fn(request: Request<Body>, next: Next) -> impl IntoResponse`,
/// optionally with up to eight extractors before the request, as a handler
/// takes them: `State<T>`, `HeaderMap`, `Extension<T>`, `BearerToken`, an
/// extractor of your own. An extractor that rejects the request answers for
/// it, and the rest of the app is not called.
///
/// ```
/// use atode::middleware::Next;
/// use atode::extract::BearerToken;
/// use atode::{get, routes, App, Body, HttpError, Response, State, testing::TestClient};
/// use atode::http::Request;
///
/// #[derive(Clone)]
/// struct AdminToken(&'static str);
///
/// /// Only the admin token gets through.
/// async fn admins_only(
///     State(admin): State<AdminToken>,
///     BearerToken(token): BearerToken,
///     request: Request<Body>,
///     next: Next,
/// ) -> Result<Response, HttpError> {
///     if token != admin.0 {
///         return Err(HttpError::forbidden("Admins only"));
///     }
///     Ok(next.run(request).await)
/// }
///
/// #[get("/stats")]
/// async fn stats() -> &'static str {
///     "42 users"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().state(AdminToken("s3cret")).middleware(admins_only).routes(routes![stats]);
/// let client = TestClient::new(app);
/// assert_eq!(client.get("/stats").await.status(), 401); // `BearerToken` rejected it
/// assert_eq!(client.get("/stats").header("authorization", "Bearer guest").await.status(), 403);
/// let admin = client.get("/stats").header("authorization", "Bearer s3cret").await;
/// assert_eq!(admin.text(), "42 users");
/// # }
/// ```
///
/// A `BackgroundTasks` taken by a middleware is its own request's list:
/// its tasks start once the response the middleware returns is written, and
/// are discarded if an extractor after it rejects the request. A `State<T>`
/// the app lacks is a start-up error, as for a handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a middleware",
    label = "not an `async fn(.., Request<Body>, Next) -> impl IntoResponse`",
    note = "a middleware takes up to eight extractors, then the request (`Request<Body>`) and `Next`, and returns a response",
    note = "each extractor must implement `FromRequestParts`: a middleware cannot read the body with `Json<T>`, since the handler needs it"
)]
pub trait Middleware<Args>: Clone + Send + Sync + 'static {
    /// Runs the middleware on one request.
    #[doc(hidden)]
    fn call(&self, request: http::Request<Body>, next: Next) -> BoxResponse;

    /// What its extractors need from the app.
    #[doc(hidden)]
    fn requirements(needs: &mut Requirements) {
        let _ = needs;
    }
}

impl<F, Fut, R> Middleware<()> for F
where
    F: Fn(http::Request<Body>, Next) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    fn call(&self, request: http::Request<Body>, next: Next) -> BoxResponse {
        let answer = self(request, next);
        Box::pin(async move { answer.await.into_response() })
    }
}

macro_rules! middleware_with_extractors {
    ($($extractor:ident),+) => {
        #[allow(non_snake_case)]
        impl<F, Fut, R, $($extractor),+> Middleware<($($extractor,)+)> for F
        where
            F: Fn($($extractor,)+ http::Request<Body>, Next) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoResponse,
            $($extractor: FromRequestParts + Send + 'static,)+
        {
            fn call(&self, request: http::Request<Body>, next: Next) -> BoxResponse {
                let function = self.clone();
                Box::pin(async move {
                    let (head, body) = request.into_parts();
                    let mut parts = middleware_parts(head, &next.shared);
                    let result = 'run: {
                        $(
                            let $extractor = match $extractor::from_request_parts(&mut parts).await {
                                Ok(value) => value,
                                Err(rejection) => break 'run Err(rejection.into_response()),
                            };
                        )+
                        if let Some(refusal) = crate::__private::refusal(&parts) {
                            break 'run Err(refusal);
                        }
                        let request = http::Request::from_parts(parts.take_head(), body);
                        Ok(function($($extractor,)+ request, next).await.into_response())
                    };
                    let response = match crate::__private::finish(&mut parts, result) {
                        Ok(response) => response,
                        Err(writing) => writing.await,
                    };
                    response.map(Body::new)
                })
            }

            fn requirements(needs: &mut Requirements) {
                $($extractor::requirements(needs);)+
            }
        }
    };
}

middleware_with_extractors!(T1);
middleware_with_extractors!(T1, T2);
middleware_with_extractors!(T1, T2, T3);
middleware_with_extractors!(T1, T2, T3, T4);
middleware_with_extractors!(T1, T2, T3, T4, T5);
middleware_with_extractors!(T1, T2, T3, T4, T5, T6);
middleware_with_extractors!(T1, T2, T3, T4, T5, T6, T7);
middleware_with_extractors!(T1, T2, T3, T4, T5, T6, T7, T8);

/// The request head as a middleware's extractors read it: no route, no
/// path parameters, the app's state, its own list of background tasks.
fn middleware_parts(head: http::request::Parts, shared: &Arc<AppShared>) -> RequestParts {
    let remote = head.extensions.get::<RemoteAddr>().map(|addr| addr.0);
    let mut parts = RequestParts::new(head, PathParams::default(), &MIDDLEWARE, Arc::clone(shared));
    parts.set_remote_addr(remote);
    parts
}

/// `function` as a layer: each request gets a [`Next`] for what is inside.
pub(crate) fn wrap<M: Middleware<Args>, Args>(function: M) -> Wrap {
    Wrap::new(
        move |inner: Routes, shared: &Arc<AppShared>| {
            let function = function.clone();
            let shared = Arc::clone(shared);
            let service = FnService(move |request| {
                let next = Next {
                    inner: inner.clone(),
                    shared: Arc::clone(&shared),
                };
                function.call(request, next)
            });
            Routes::layered(Arc::new(Layered::new(service)))
        },
        M::requirements,
    )
}
