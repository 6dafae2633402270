//! tower-http layers on an atode app: request tracing and gzip compression.
//! Background tasks still start once the (compressed) body has been written.
//!
//! ```sh
//! cargo run -p atode-suite --example tracing_compression &
//! curl -si --compressed -X POST http://127.0.0.1:8000/reports/weekly
//! # 200
//! # content-encoding: gzip
//! #
//! # report weekly
//! # …
//! ```

use atode::{App, BackgroundTasks, post, routes};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

fn archive(name: String) {
    tracing::info!(report = %name, "report archived in the background");
}

/// A long report, gzip-compressed when the client accepts it; archived
/// after the response.
#[post("/reports/<name>")]
async fn report(name: String, tasks: BackgroundTasks) -> String {
    let body = format!("report {name}\n").repeat(200);
    tasks.add_task(archive, (name,));
    body
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=debug".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let app = App::new()
        .routes(routes![report])
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http());
    atode::run(app).await
}
