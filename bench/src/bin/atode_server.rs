//! The benchmark endpoints in atode: route attributes, and the notification
//! queued on `BackgroundTasks` to run after the response.

use atode::{App, BackgroundTasks, Json, get, post, routes};
use atode_bench::{HELLO, Message, SENT, write_notification};

#[get("/plaintext")]
async fn plaintext() -> &'static str {
    HELLO
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message { message: HELLO })
}

#[post("/send-notification/<email>")]
async fn send_notification(email: String, background_tasks: BackgroundTasks) -> Json<Message> {
    background_tasks.add_task(write_notification, (email,));
    Json(Message { message: SENT })
}

fn main() -> std::io::Result<()> {
    let config = atode_bench::config();
    println!("atode: workers {}, task {:?}", config.workers, config.task);
    let app = App::new().routes(routes![plaintext, json, send_notification]);
    // With the bench's `metrics` feature, every request and task is measured.
    #[cfg(feature = "metrics")]
    let app = app.metrics("/metrics");
    #[cfg(feature = "dashboard")]
    let app = app.task_dashboard("/admin/tasks");
    // With `otel` and `BENCH_OTEL=1`, every request's and task's span is
    // made into an OpenTelemetry span, and dropped: no exporter.
    #[cfg(feature = "otel")]
    if std::env::var_os("BENCH_OTEL").is_some() {
        use tracing_subscriber::Layer;
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let otel = atode::otel::Otel::with_provider(provider);
        // At INFO, as an app records: atode's spans, not h2's own
        // debug and trace spans.
        let layer = otel
            .layer()
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
        tracing_subscriber::registry().with(layer).init();
        // Spans are made until the process ends.
        std::mem::forget(otel);
    }
    atode_bench::runtime()?.block_on(atode::run(app))
}
