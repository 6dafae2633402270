//! The benchmark endpoints in axum 0.8, the way its users write them: a
//! `Router`, and the background work handed to tokio from the handler.

use atode_bench::{HELLO, Message, SENT, write_notification};
use axum::extract::Path;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};

async fn plaintext() -> &'static str {
    HELLO
}

async fn json() -> Json<Message> {
    Json(Message { message: HELLO })
}

async fn send_notification(Path(email): Path<String>) -> Json<Message> {
    // Blocking file I/O goes to the blocking pool, as tokio's docs say; the
    // error is logged as atode logs a failed task.
    tokio::task::spawn_blocking(move || {
        if let Err(error) = write_notification(email) {
            eprintln!("background task failed: {error}");
        }
    });
    Json(Message { message: SENT })
}

fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/send-notification/{email}", post(send_notification));
    atode_bench::runtime()?.block_on(async {
        let addr = atode_bench::addr();
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        atode_bench::announce("axum", &listener.local_addr()?.to_string());
        // atode sets TCP_NODELAY on every connection; so does this server.
        let listener = listener.tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
        axum::serve(listener, app).await
    })
}
