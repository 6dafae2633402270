//! Transactional enqueue: a new user's row and their welcome email's task
//! are written in one database transaction, so there is never a user
//! without a welcome email, nor a welcome email for a signup that failed.
//!
//! Meant for PostgreSQL (`ATODE_DATABASE_URL=postgres://...` before
//! `cargo run`); without it, the same code runs on the SQLite file
//! `durable_signup.sqlite3`, as here:
//!
//! ```sh
//! cargo run -p atode-suite --example durable_signup &
//! curl -X POST http://127.0.0.1:8000/signup -H 'content-type: application/json' \
//!      -d '{"email":"ada@example.com"}'
//! # 201 {"id":1,"email":"ada@example.com","welcome_task":"{welcome_task}"}
//! curl -X POST http://127.0.0.1:8000/signup -H 'content-type: application/json' \
//!      -d '{"email":"ada@example.com"}'
//! # 409 {"detail":"ada@example.com has already signed up"}
//! cat welcome.txt   # one email: the second signup wrote nothing
//! # welcome mail to ada@example.com (user 1)
//! ```

use std::io::Write;

use atode::durable::sqlx::{self, Transaction};
use atode::durable::{Durable, DurableError, TaskId, TaskQueue, task};
use atode::openapi::{Operation, OperationOutput};
use atode::{
    App, ErrorDetail, IntoResponse, Json, Response, StatusCode, ValidationError, post, routes,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Sends the welcome email (here: appends a line to `welcome.txt`).
#[task(max_attempts = 5)]
fn send_welcome(user_id: i64, email: String) -> std::io::Result<()> {
    let mut mail = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("welcome.txt")?;
    mail.write_all(format!("welcome mail to {email} (user {user_id})\n").as_bytes())
}

const CREATE_USERS: &str = "CREATE TABLE IF NOT EXISTS users (\
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email TEXT NOT NULL UNIQUE)";
const CREATE_USERS_SQLITE: &str =
    "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)";
const INSERT_USER: &str = "INSERT INTO users (email) VALUES ($1) RETURNING id";

#[derive(Deserialize, JsonSchema)]
struct Signup {
    #[schemars(email)]
    email: String,
}

#[derive(Serialize, JsonSchema)]
struct User {
    id: i64,
    email: String,
    welcome_task: TaskId,
}

#[derive(Serialize, JsonSchema)]
struct Detail {
    detail: String,
}

/// Why a signup was refused.
enum Failure {
    /// Not a signup to take: a `422` in the shape atode answers for a body
    /// that does not parse, so a client reads both alike.
    Invalid(ValidationError),
    /// A `409` (the email is taken) or a `503` (the database is away).
    Refused(StatusCode, String),
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Invalid(error) => error.into_response(),
            Failure::Refused(status, detail) => (status, Json(Detail { detail })).into_response(),
        }
    }
}

/// The statuses a signup is refused with, for the API documentation.
impl OperationOutput for Failure {
    fn operation_output(op: &mut Operation<'_>) {
        ValidationError::operation_output(op);
        let detail = op.output_schema::<Detail>();
        op.response(409, "The email has already signed up")
            .json(detail.clone());
        op.response(503, "The database cannot be reached just now")
            .json(detail);
    }
}

/// Sign up.
///
/// The user and their welcome task are written in one transaction: both
/// or neither.
#[post("/signup", status = 201)]
async fn signup(queue: TaskQueue, Json(signup): Json<Signup>) -> Result<Json<User>, Failure> {
    let email = signup.email;
    if !email.contains('@') {
        return Err(Failure::Invalid(ValidationError::new(vec![ErrorDetail {
            kind: "value_error",
            loc: vec!["body".into(), "email".into()],
            msg: "value is not a valid email address: it has no @".to_owned(),
            input: Some(email.into()),
            ctx: None,
        }])));
    }
    let created = match queue.postgres_pool() {
        Some(_) => {
            let mut transaction = queue.begin_postgres().await.map_err(unavailable)?;
            let id = sqlx::query_scalar(INSERT_USER)
                .bind(&email)
                .fetch_one(&mut *transaction)
                .await;
            finish(&queue, transaction, id, &email).await?
        }
        None => {
            let mut transaction = queue.begin_sqlite().await.map_err(unavailable)?;
            let id = sqlx::query_scalar(INSERT_USER)
                .bind(&email)
                .fetch_one(&mut *transaction)
                .await;
            finish(&queue, transaction, id, &email).await?
        }
    };
    Ok(Json(created))
}

/// Queues the welcome email in the user's transaction, then commits both:
/// a duplicate email rolls both back.
async fn finish<DB>(
    queue: &TaskQueue,
    mut transaction: Transaction<'static, DB>,
    inserted: Result<i64, sqlx::Error>,
    email: &str,
) -> Result<User, Failure>
where
    DB: sqlx::Database,
    Transaction<'static, DB>: atode::durable::QueueTransaction,
{
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(Failure::Refused(
                StatusCode::CONFLICT,
                format!("{email} has already signed up"),
            ));
        }
        Err(error) => return Err(unavailable(error.into())),
    };
    let welcome_task = queue
        .add_task_in(&mut transaction, send_welcome, (id, email.to_owned()))
        .await
        .map_err(unavailable)?;
    transaction
        .commit()
        .await
        .map_err(|error| unavailable(error.into()))?;
    Ok(User {
        id,
        email: email.to_owned(),
        welcome_task,
    })
}

fn unavailable(error: DurableError) -> Failure {
    tracing::error!(%error, "signup");
    Failure::Refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "the database cannot be reached just now".to_owned(),
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    // Every `#[task]` of the program is registered with the queue.
    let queue = Durable::from_env("durable_signup.sqlite3")
        .connect()
        .await?;
    match (queue.postgres_pool(), queue.sqlite_pool()) {
        (Some(pool), _) => sqlx::query(CREATE_USERS).execute(pool).await.map(drop),
        (_, Some(pool)) => sqlx::query(CREATE_USERS_SQLITE)
            .execute(pool)
            .await
            .map(drop),
        _ => Ok(()),
    }
    .map_err(std::io::Error::other)?;
    atode::run(App::new().durable(queue).routes(routes![signup])).await
}
