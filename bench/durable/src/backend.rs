//! The two databases: a fresh, empty one for every measurement, and River's
//! pool opened with the settings atode's own pool uses, so the engine is
//! compared with itself under the facade and not with other pool settings.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use riverqueue::sqlx::postgres::{PgConnection, PgPoolOptions};
use riverqueue::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
// The name is checked to be plain letters, digits and `_` (`Backend::postgres`).
use riverqueue::sqlx::{AssertSqlSafe, Connection, Executor};
use riverqueue::{Client, ClientBuilder};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Debug)]
pub enum Backend {
    /// Files in this directory, a new one per measurement.
    Sqlite { dir: PathBuf },
    /// `admin` is a database to connect to while `name` is dropped and made again.
    Postgres { admin: String, name: String },
}

impl Backend {
    pub fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }

    /// A PostgreSQL backend, if `admin` answers; else why not.
    pub async fn postgres(admin: &str, name: &str) -> Result<Backend, String> {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{name:?} is not a plain database name"));
        }
        let connect = PgConnection::connect(admin);
        match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                Ok(Backend::Postgres {
                    admin: admin.to_owned(),
                    name: name.to_owned(),
                })
            }
            Ok(Err(error)) => Err(format!("cannot connect to {admin}: {error}")),
            Err(_) => Err(format!("cannot connect to {admin}: no answer in 5 s")),
        }
    }

    /// The URL of a new, empty database; `label` names the SQLite file.
    pub async fn fresh(&self, label: &str) -> Result<String, BoxError> {
        match self {
            Backend::Sqlite { dir } => {
                let path = dir.join(format!("{label}.sqlite3"));
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
                Ok(format!("sqlite://{}", path.display()))
            }
            Backend::Postgres { admin, name } => {
                let mut connection = drop_database(admin, name).await?;
                connection
                    .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await?;
                connection.close().await?;
                Ok(database_url(admin, name))
            }
        }
    }

    /// Drops the bench's database at the end.
    pub async fn clean_up(&self) -> Result<(), BoxError> {
        match self {
            Backend::Sqlite { dir } => std::fs::remove_dir_all(dir)?,
            Backend::Postgres { admin, name } => drop_database(admin, name).await?.close().await?,
        }
        Ok(())
    }
}

/// `admin` with its database replaced by `name`.
fn database_url(admin: &str, name: &str) -> String {
    let without_query = admin.split('?').next().unwrap_or(admin);
    let scheme_end = without_query.find("://").map_or(0, |at| at + 3);
    match without_query[scheme_end..].find('/') {
        Some(slash) => format!("{}/{name}", &without_query[..scheme_end + slash]),
        None => format!("{without_query}/{name}"),
    }
}

/// River's client builder on `url`, migrated, with the pool settings of
/// atode's `runtime/src/durable/database.rs` (SQLite: WAL, synchronous
/// NORMAL, 8 connections; PostgreSQL: 16 connections).
pub async fn river_builder(url: &str) -> Result<ClientBuilder, BoxError> {
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        riverqueue::migrate::SqliteMigrator::new(pool.clone())
            .migrate_up()
            .await?;
        Ok(Client::builder(pool))
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        riverqueue::migrate::PostgresMigrator::new(pool.clone())
            .migrate_up()
            .await?;
        Ok(Client::builder(pool))
    }
}

/// Drops the bench's database (if there is one) over a new admin
/// connection, and hands the connection back. FORCE: the last
/// measurement's pool may still be closing.
async fn drop_database(admin: &str, name: &str) -> Result<PgConnection, BoxError> {
    let mut connection = PgConnection::connect(admin).await?;
    connection
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await?;
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_database_is_swapped_in_the_url() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/test", "atode_bench"),
            "postgres://postgres@127.0.0.1:5432/atode_bench"
        );
        assert_eq!(
            database_url("postgres://u@h/test?sslmode=disable", "b"),
            "postgres://u@h/b"
        );
        assert_eq!(database_url("postgres://u@h", "b"), "postgres://u@h/b");
    }
}
