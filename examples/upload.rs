//! Uploads processed after the response.
//!
//! `POST /upload` takes a `multipart/form-data` form with a `file` (and an
//! optional `note`), answers `202` at once with the upload's id, and hands
//! the file to a background task. After the response has been sent, the
//! task reads the whole file, counts its lines, computes its SHA-256, and
//! writes the report to `uploads/<id>.json` in the working directory;
//! `GET /uploads/<id>` answers it once it is there. Files over 1 MiB wait
//! for the task in a temporary file, deleted once the task is done with it.
//! `GET /` is a page with the form.
//!
//! ```sh
//! cargo run -p atode-suite --example upload &
//! curl -F file=@Cargo.lock -F note=lockfile http://127.0.0.1:8000/upload
//! # 202 {"id":1,"filename":"Cargo.lock","size":{size}}
//! curl http://127.0.0.1:8000/uploads/1   # once the task has written it
//! # eventually 200 {"id":1,"filename":"Cargo.lock","note":"lockfile","size":{size},"lines":…,"sha256":"…"}
//! curl http://127.0.0.1:8000/uploads/2
//! # 404 {"detail":"No report for upload 2 (yet)"}
//! ```
//!
//! Its API is documented at `/openapi.json`, and browsable at `/docs`.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use atode::multipart::{Multipart, MultipartError, UploadFile};
use atode::response::Html;
use atode::{App, BackgroundTasks, HttpError, Json, State, StatusCode, get, post, routes};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where the reports go, in the working directory.
const REPORTS: &str = "uploads";

/// The form `POST /upload` takes. It documents the request body, and is
/// what the handler hands to the task.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct UploadForm {
    /// The file to process.
    file: UploadFile,
    /// A note kept with the report.
    note: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Accepted {
    /// Ask `GET /uploads/{id}` for the report.
    id: u64,
    filename: Option<String>,
    size: u64,
}

/// What the task found in the file.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Report {
    id: u64,
    filename: Option<String>,
    note: Option<String>,
    size: u64,
    lines: u64,
    sha256: String,
}

/// The next upload's id.
#[derive(Clone, Default)]
struct Ids(Arc<AtomicU64>);

/// The background task: a regular `fn`, so it runs on atode's task threads
/// and may block. It streams the file (from its temporary file when it is
/// large), and the file is deleted when `form` drops at its end.
fn process(id: u64, form: UploadForm) -> std::io::Result<()> {
    let mut reader = form.file.reader()?;
    let mut sha256 = Sha256::new();
    let (mut size, mut lines) = (0u64, 0u64);
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        let chunk = &buffer[..read];
        sha256.update(chunk);
        size += read as u64;
        lines += chunk.iter().filter(|&&byte| byte == b'\n').count() as u64;
    }
    let report = Report {
        id,
        filename: form.file.filename().map(str::to_owned),
        note: form.note,
        size,
        lines,
        sha256: format!("{:x}", sha256.finalize()),
    };
    // Written aside, then renamed: a reader never sees half a report.
    std::fs::create_dir_all(REPORTS)?;
    let partial = format!("{REPORTS}/{id}.json.partial");
    std::fs::write(&partial, serde_json::to_vec(&report)?)?;
    std::fs::rename(partial, format!("{REPORTS}/{id}.json"))
}

/// Upload a file.
///
/// Answers at once with the upload's id; the file is processed after the
/// response, and its report is at `GET /uploads/{id}`.
#[post("/upload", status = 202, body_limit = 64 * 1024 * 1024, tags = ["uploads"])]
async fn upload(
    State(ids): State<Ids>,
    background_tasks: BackgroundTasks,
    mut form: Multipart<UploadForm>,
) -> Result<Json<Accepted>, MultipartError> {
    let (mut file, mut note) = (None, None);
    while let Some(field) = form.next_field().await? {
        match field.name() {
            Some("file") => file = Some(field.upload().await?),
            Some("note") => note = Some(field.text().await?),
            // As the schema says: a field the form does not have is a 422.
            other => return Err(MultipartError::unexpected(other.unwrap_or_default())),
        }
    }
    let file = file.ok_or_else(|| MultipartError::missing("file"))?;
    let id = ids.0.fetch_add(1, Ordering::Relaxed) + 1;
    let accepted = Accepted {
        id,
        filename: file.filename().map(str::to_owned),
        size: file.size(),
    };
    background_tasks.add_task(process, (id, UploadForm { file, note }));
    Ok(Json(accepted))
}

/// An upload's report.
///
/// `404` until the upload's task has written it.
#[get("/uploads/<id>", tags = ["uploads"], errors = [404, 500])]
async fn report(id: u64) -> Result<Json<Report>, HttpError> {
    match tokio::fs::read(format!("{REPORTS}/{id}.json")).await {
        Ok(json) => serde_json::from_slice(&json).map(Json).map_err(|error| {
            HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unreadable report: {error}"),
            )
        }),
        Err(_) => Err(HttpError::not_found(format!(
            "No report for upload {id} (yet)"
        ))),
    }
}

/// The upload form, for a browser.
#[get("/")]
async fn page() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><title>Upload</title>",
        "<form method=post action=/upload enctype=multipart/form-data>",
        "<input type=file name=file required> <input name=note placeholder=note> ",
        "<button>Upload</button></form>",
    ))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Task failures are logged through `tracing`; this prints them.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let app = App::new()
        .title("Uploads")
        .state(Ids::default())
        .routes(routes![upload, report, page]);
    atode::run(app).await
}
