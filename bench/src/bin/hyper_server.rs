//! The benchmark endpoints on bare hyper 1.x: a hand-written `match` on
//! method and path, no framework. The floor: what the stack itself costs.

use std::convert::Infallible;

use atode_bench::{HELLO, Message, SENT, write_notification};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

fn respond(content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json(message: &'static str) -> Response<Full<Bytes>> {
    match serde_json::to_vec(&Message { message }) {
        Ok(body) => respond("application/json", Bytes::from(body)),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = code;
    response
}

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path();
    let response = match (request.method(), path) {
        (&Method::GET, "/plaintext") => respond(
            "text/plain; charset=utf-8",
            Bytes::from_static(HELLO.as_bytes()),
        ),
        (&Method::GET, "/json") => json(HELLO),
        (&Method::POST, _) => match path.strip_prefix("/send-notification/") {
            // No percent-decoding: the floor does the least it can.
            Some(email) if !email.is_empty() && !email.contains('/') => {
                let email = email.to_owned();
                tokio::task::spawn_blocking(move || {
                    if let Err(error) = write_notification(email) {
                        eprintln!("background task failed: {error}");
                    }
                });
                json(SENT)
            }
            _ => status(StatusCode::NOT_FOUND),
        },
        _ => status(StatusCode::NOT_FOUND),
    };
    Ok(response)
}

fn main() -> std::io::Result<()> {
    atode_bench::runtime()?.block_on(async {
        let addr = atode_bench::addr();
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        atode_bench::announce("hyper", &listener.local_addr()?.to_string());
        // The same connection builder atode uses: HTTP/1.1 and HTTP/2 on one port.
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // One failed accept (a reset before accept) is no reason to stop.
                Err(error) => {
                    eprintln!("accept failed: {error}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let connection = builder
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .into_owned();
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
    })
}
