//! The history store: every finished scan's full report (schema_version 1), its target, start time
//! and keyhole version, in SQLite (`sqlite:PATH`, embedded: nothing to install) or PostgreSQL
//! (`postgres://…`, one store for a team).
//!
//! Both backends go through sqlx: one set of portable migrations (`migrations/`, applied by
//! sqlx's migrator, ledger in `keyhole_migrations`) and the same queries, written once and run
//! on whichever pool the URL named ([`on_pool!`]). A report is written in one transaction: it is
//! in the store whole, or not at all.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::Row;

use crate::report::Report;

pub mod prune;

/// How long failed attempts on a guessed account are remembered across stored scans of one
/// target: common lockouts forget after 15 to 60 minutes (django-axes' cool-off, Devise's
/// unlock_in, Keycloak's wait), so a scan within this time after another is charged the
/// other's attempts against the same cap of 3.
pub const LOCKOUT_MEMORY_MINUTES: i64 = 60;

/// The store keyhole uses when `--store` is not given.
pub const DEFAULT_STORE: &str = "sqlite:keyhole.db";

/// Where the history lives, parsed from `--store URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StoreUrl {
    pub fn parse(raw: &str) -> Result<StoreUrl, StoreError> {
        let t = raw.trim();
        let bad = || StoreError::Url(raw.to_string());
        if let Some(rest) = t.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(bad());
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            PgConnectOptions::from_str(t).map_err(|e| {
                StoreError::Url(format!("{} ({})", redact(t), one_line(&e.to_string())))
            })?;
            return Ok(StoreUrl::Postgres(t.to_string()));
        }
        Err(bad())
    }

    /// The URL as it may be shown: a PostgreSQL password is replaced by `***`.
    pub fn shown(&self) -> String {
        match self {
            StoreUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            StoreUrl::Postgres(u) => redact(u),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreUrl::Postgres(_))
    }
}

/// A connection URL with its password hidden.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// A message on one line: runs of whitespace (newlines included) become one space.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why the store cannot be used (exit 2, one line).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("--store takes sqlite:PATH (the embedded default, sqlite:keyhole.db) or postgres://USER@HOST[:PORT]/DATABASE, not '{0}'")]
    Url(String),
    #[error("there is no history store at {0} yet: `keyhole fleet FILE` or `keyhole scan URL --store {0}` creates it")]
    Missing(String),
    #[error("cannot open the history store {0}: {1}")]
    Open(String, String),
    #[error("{0} is not a keyhole history store ({1}); keyhole left it untouched — name another file with --store")]
    NotAStore(String, String),
    #[error(
        "the history store {0} was written by a newer keyhole ({1}); upgrade keyhole to use it"
    )]
    Newer(String, String),
    #[error("the history store {0} failed: {1}")]
    Query(String, String),
    #[error("the history store {0} holds a report that is not valid ({1})")]
    BadReport(String, String),
}

/// One stored scan, without its report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredScan {
    pub id: String,
    pub target: String,
    pub started_at: String,
    pub keyhole_version: String,
    pub score: u32,
    pub grade: String,
}

/// A queued scan that gave up: why, and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct StoredFailure {
    pub id: String,
    pub target: String,
    pub failed_at: String,
    pub keyhole_version: String,
    pub reason: String,
}

/// What [`Store::prune`] did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub plan: prune::Plan,
    /// Whether it was only a dry run (nothing deleted).
    pub dry_run: bool,
}

/// What [`Store::save`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Stored under this id.
    New(String),
    /// A scan with this job key was stored before (by this id); nothing was written.
    Duplicate(String),
}

impl Saved {
    pub fn id(&self) -> &str {
        match self {
            Saved::New(id) | Saved::Duplicate(id) => id,
        }
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run the same sqlx code on whichever pool the store has: the body is compiled once per backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// An open, migrated history store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    shown: String,
}

impl Store {
    /// Open (and migrate) the store. With `create` false a missing SQLite file is an error, not a
    /// new empty store.
    pub async fn open(url: &StoreUrl, create: bool) -> Result<Store, StoreError> {
        let shown = url.shown();
        let open_err = |e: sqlx::Error| StoreError::Open(shown.clone(), describe(&e));
        let pool = match url {
            StoreUrl::Sqlite(path) => {
                if !create && !path.exists() {
                    return Err(StoreError::Missing(shown));
                }
                if path.is_dir() {
                    return Err(StoreError::NotAStore(shown, "it is a directory".into()));
                }
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(create)
                    .busy_timeout(Duration::from_secs(30));
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts)
                    .await
                    .map_err(|e| not_a_store_or(&shown, e, open_err))?;
                Pool::Sqlite(pool)
            }
            StoreUrl::Postgres(u) => {
                let opts = PgConnectOptions::from_str(u).map_err(open_err)?;
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await
                    .map_err(open_err)?;
                Pool::Postgres(pool)
            }
        };
        let store = Store { pool, shown };
        store.check_foreign().await?;
        if let Pool::Sqlite(pool) = &store.pool {
            // Write-ahead logging only once the file is known to be ours: the pragma rewrites the
            // database header.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(pool)
                .await
                .map_err(|e| not_a_store_or(&store.shown, e, |e| store.query_err(e)))?;
        }
        store.migrate().await?;
        Ok(store)
    }

    /// The store's URL as it may be shown.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The PostgreSQL pool, for the job queue that shares the database.
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    fn query_err(&self, e: sqlx::Error) -> StoreError {
        StoreError::Query(self.shown.clone(), describe(&e))
    }

    /// A SQLite file that holds another program's tables and no keyhole ledger is refused: the
    /// store never writes into a database that is not its own.
    async fn check_foreign(&self) -> Result<(), StoreError> {
        let Pool::Sqlite(pool) = &self.pool else {
            return Ok(());
        };
        let names: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(pool)
                .await
                .map_err(|e| not_a_store_or(&self.shown, e, |e| self.query_err(e)))?;
        let ours = |n: &String| n.starts_with("keyhole_") || n.starts_with("sqlite_");
        if !names.is_empty() && !names.iter().any(|n| n == "keyhole_migrations") {
            if let Some(other) = names.iter().find(|n| !ours(n)) {
                return Err(StoreError::NotAStore(
                    self.shown.clone(),
                    format!("it is a SQLite database of another program, with a table '{other}'"),
                ));
            }
        }
        Ok(())
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let result = on_pool!(self, pool => MIGRATOR.run(pool).await);
        result.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMissing(v) => {
                StoreError::Newer(self.shown.clone(), format!("migration {v} is unknown here"))
            }
            sqlx::migrate::MigrateError::Execute(e) => {
                not_a_store_or(&self.shown, e, |e| self.query_err(e))
            }
            other => StoreError::NotAStore(self.shown.clone(), one_line(&other.to_string())),
        })
    }

    /// Store one finished scan, in one transaction. With a `job_key` (a queued scan), a second
    /// save of the same key writes nothing and says which scan holds it.
    pub async fn save(&self, report: &Report, job_key: Option<&str>) -> Result<Saved, StoreError> {
        let json = serde_json::to_string(report)
            .map_err(|e| StoreError::BadReport(self.shown.clone(), e.to_string()))?;
        let id = new_id();
        let recorded_at = chrono::Utc::now().timestamp_millis();
        let insert = "INSERT INTO keyhole_scans \
             (id, target, started_at, recorded_at, keyhole_version, score, grade, report, job_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (job_key) DO NOTHING";
        let existing = "SELECT id FROM keyhole_scans WHERE job_key = $1";
        let result: Result<Saved, sqlx::Error> = on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(insert)
                .bind(&id)
                .bind(&report.target)
                .bind(&report.started_at)
                .bind(recorded_at)
                .bind(&report.tool.version)
                .bind(i64::from(report.score))
                .bind(&report.grade)
                .bind(&json)
                .bind(job_key)
                .execute(&mut *tx)
                .await?;
            let saved = if done.rows_affected() == 1 {
                Saved::New(id.clone())
            } else {
                let other: String = sqlx::query_scalar(existing)
                    .bind(job_key)
                    .fetch_one(&mut *tx)
                    .await?;
                Saved::Duplicate(other)
            };
            tx.commit().await?;
            Ok(saved)
        }.await);
        result.map_err(|e| self.query_err(e))
    }

    /// Remember that a queued scan of `target` gave up, and why (one line). With a `job_key`, a
    /// second failure of the same job writes nothing. Returns the failure's id (the earlier one
    /// for a repeated key).
    pub async fn record_failure(
        &self,
        target: &str,
        reason: &str,
        job_key: Option<&str>,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let now = chrono::Utc::now();
        let failed_at = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let insert = "INSERT INTO keyhole_failures \
             (id, target, failed_at, recorded_at, keyhole_version, reason, job_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_key) DO NOTHING";
        let existing = "SELECT id FROM keyhole_failures WHERE job_key = $1";
        let reason = one_line(reason);
        let result: Result<String, sqlx::Error> = on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(insert)
                .bind(&id)
                .bind(target)
                .bind(&failed_at)
                .bind(now.timestamp_millis())
                .bind(env!("CARGO_PKG_VERSION"))
                .bind(&reason)
                .bind(job_key)
                .execute(&mut *tx)
                .await?;
            let id = if done.rows_affected() == 1 {
                id.clone()
            } else {
                sqlx::query_scalar(existing).bind(job_key).fetch_one(&mut *tx).await?
            };
            tx.commit().await?;
            Ok(id)
        }.await);
        result.map_err(|e| self.query_err(e))
    }

    /// Failed runs, oldest first: of one target (or all), at or after `since`.
    pub async fn failures(
        &self,
        target: Option<&str>,
        since: Option<&str>,
    ) -> Result<Vec<StoredFailure>, StoreError> {
        let q = "SELECT id, target, failed_at, keyhole_version, reason FROM keyhole_failures \
             WHERE ($1 IS NULL OR target = $1) AND ($2 IS NULL OR failed_at >= $2) \
             ORDER BY target, failed_at, recorded_at, id";
        let rows: Result<Vec<StoredFailure>, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_as(q).bind(target).bind(since).fetch_all(pool).await
        });
        rows.map_err(|e| self.query_err(e))
    }

    /// Delete the scans and failed runs `rules` select (of one target, or of all), in one
    /// transaction: the selection is read inside it, and a dry run rolls it back. Rows stored
    /// meanwhile by others are never touched (deletes go by id), so a scan stored during a prune
    /// is simply kept.
    pub async fn prune(
        &self,
        target: Option<&str>,
        rules: &prune::Rules,
        dry_run: bool,
    ) -> Result<Pruned, StoreError> {
        let scans_q = "SELECT id, target, started_at FROM keyhole_scans \
             WHERE ($1 IS NULL OR target = $1) ORDER BY target, started_at, recorded_at, id";
        let failures_q = "SELECT id, target, failed_at FROM keyhole_failures \
             WHERE ($1 IS NULL OR target = $1) ORDER BY target, failed_at, recorded_at, id";
        let result: Result<prune::Plan, sqlx::Error> = on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            let scans: Vec<(String, String, String)> =
                sqlx::query_as(scans_q).bind(target).fetch_all(&mut *tx).await?;
            let failures: Vec<(String, String, String)> =
                sqlx::query_as(failures_q).bind(target).fetch_all(&mut *tx).await?;
            let scans: Vec<prune::ScanRow> = scans
                .into_iter()
                .map(|(id, target, started_at)| prune::ScanRow { id, target, started_at })
                .collect();
            let failures: Vec<prune::FailureRow> = failures
                .into_iter()
                .map(|(id, target, failed_at)| prune::FailureRow { id, target, failed_at })
                .collect();
            let plan = prune::select(&scans, &failures, rules);
            if dry_run {
                tx.rollback().await?;
                return Ok(plan);
            }
            for s in &plan.scans {
                sqlx::query("DELETE FROM keyhole_scans WHERE id = $1")
                    .bind(&s.id)
                    .execute(&mut *tx)
                    .await?;
            }
            for f in &plan.failures {
                sqlx::query("DELETE FROM keyhole_failures WHERE id = $1")
                    .bind(&f.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(plan)
        }.await);
        Ok(Pruned {
            plan: result.map_err(|e| self.query_err(e))?,
            dry_run,
        })
    }

    /// Whether a queued scan with this key is stored already.
    pub async fn has_job(&self, job_key: &str) -> Result<bool, StoreError> {
        let q = "SELECT COUNT(*) FROM keyhole_scans WHERE job_key = $1";
        let n: Result<i64, sqlx::Error> =
            on_pool!(self, pool => sqlx::query_scalar(q).bind(job_key).fetch_one(pool).await);
        Ok(n.map_err(|e| self.query_err(e))? > 0)
    }

    /// Stored scans, oldest first: of one target (or all), started at or after `since`.
    pub async fn scans(
        &self,
        target: Option<&str>,
        since: Option<&str>,
    ) -> Result<Vec<StoredScan>, StoreError> {
        let q = "SELECT id, target, started_at, keyhole_version, score, grade FROM keyhole_scans \
             WHERE ($1 IS NULL OR target = $1) AND ($2 IS NULL OR started_at >= $2) \
             ORDER BY target, started_at, recorded_at, id";
        let rows: Result<Vec<StoredScan>, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query(q)
                .bind(target)
                .bind(since)
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(|r| Ok(StoredScan {
                    id: r.try_get(0)?,
                    target: r.try_get(1)?,
                    started_at: r.try_get(2)?,
                    keyhole_version: r.try_get(3)?,
                    score: r.try_get::<i64, _>(4)?.clamp(0, 100) as u32,
                    grade: r.try_get(5)?,
                })).collect())
        });
        rows.map_err(|e| self.query_err(e))
    }

    /// The latest stored report of a target, if any.
    pub async fn latest(&self, target: &str) -> Result<Option<(String, Report)>, StoreError> {
        let q = "SELECT id, report FROM keyhole_scans WHERE target = $1 \
                 ORDER BY started_at DESC, recorded_at DESC, id DESC LIMIT 1";
        let row: Result<Option<(String, String)>, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_as(q).bind(target).fetch_optional(pool).await
        });
        match row.map_err(|e| self.query_err(e))? {
            Some((id, json)) => Ok(Some((id.clone(), self.parse_report(&id, &json)?))),
            None => Ok(None),
        }
    }

    /// The report stored under `id`, or under the one id that starts with it.
    pub async fn report(&self, id: &str) -> Result<Option<(String, Report)>, StoreError> {
        let pattern = format!("{}%", id.replace(['%', '_'], ""));
        let q = "SELECT id, report FROM keyhole_scans WHERE id LIKE $1 ORDER BY id LIMIT 2";
        let rows: Result<Vec<(String, String)>, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_as(q).bind(&pattern).fetch_all(pool).await
        });
        let rows = rows.map_err(|e| self.query_err(e))?;
        match rows.as_slice() {
            [(id, json)] => Ok(Some((id.clone(), self.parse_report(id, json)?))),
            [] => Ok(None),
            _ => Err(StoreError::Query(
                self.shown.clone(),
                format!("more than one scan id starts with '{id}'; give more of it"),
            )),
        }
    }

    /// The scan stored just before `id` for the same target.
    pub async fn previous(&self, scan: &StoredScan) -> Result<Option<Report>, StoreError> {
        let q = "SELECT s.id, s.report FROM keyhole_scans s, keyhole_scans me \
                 WHERE me.id = $1 AND s.target = me.target AND s.id <> me.id \
                   AND (s.started_at < me.started_at \
                        OR (s.started_at = me.started_at AND s.recorded_at < me.recorded_at)) \
                 ORDER BY s.started_at DESC, s.recorded_at DESC LIMIT 1";
        let row: Result<Option<(String, String)>, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_as(q).bind(&scan.id).fetch_optional(pool).await
        });
        match row.map_err(|e| self.query_err(e))? {
            Some((id, json)) => Ok(Some(self.parse_report(&id, &json)?)),
            None => Ok(None),
        }
    }

    /// What the scans of `cfg`'s target within the last [`LOCKOUT_MEMORY_MINUTES`] left behind,
    /// into `cfg`: their attempts on guessed accounts (against the cap of 3) and the latest of
    /// them (a limiter may still hold what it left).
    pub async fn recall(&self, cfg: &mut crate::config::ScanConfig) -> Result<(), StoreError> {
        let target = crate::config::target_label(&cfg.target);
        let since = lockout_memory_start(chrono::Utc::now());
        let q = "SELECT id, report FROM keyhole_scans WHERE target = $1 AND started_at >= $2";
        let rows: Result<Vec<(String, String)>, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_as(q).bind(&target).bind(&since).fetch_all(pool).await
        });
        let mut reports = Vec::new();
        for (id, json) in rows.map_err(|e| self.query_err(e))? {
            let report = self.parse_report(&id, &json)?;
            reports.push((id, report));
        }
        recall_from(cfg, reports.iter().map(|(id, r)| (id.as_str(), r)));
        Ok(())
    }

    /// How many scans the store holds.
    pub async fn count(&self) -> Result<u64, StoreError> {
        let q = "SELECT COUNT(*) FROM keyhole_scans";
        let n: Result<i64, sqlx::Error> =
            on_pool!(self, pool => sqlx::query_scalar(q).fetch_one(pool).await);
        Ok(n.map_err(|e| self.query_err(e))?.max(0) as u64)
    }

    fn parse_report(&self, id: &str, json: &str) -> Result<Report, StoreError> {
        serde_json::from_str(json)
            .map_err(|e| StoreError::BadReport(self.shown.clone(), format!("scan {id}: {e}")))
    }

    /// Close the pool, waiting for its connections (SQLite checkpoints its log on close).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// The start of the lockout memory before `now`, as the start-time string the store compares.
fn lockout_memory_start(now: chrono::DateTime<chrono::Utc>) -> String {
    (now - chrono::Duration::minutes(LOCKOUT_MEMORY_MINUTES))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// What earlier scans (id, report) left behind, into `cfg`: of those of its target that started
/// within the lockout memory, their attempts on guessed accounts added up by account, and the
/// latest of them. The store's [`Store::recall`], and `keyhole mcp` without a store (from the
/// reports of its session), both come here.
pub fn recall_from<'a>(
    cfg: &mut crate::config::ScanConfig,
    reports: impl IntoIterator<Item = (&'a str, &'a Report)>,
) {
    let now = chrono::Utc::now();
    let since = lockout_memory_start(now);
    let target = crate::config::target_label(&cfg.target);
    cfg.prior_attempts.clear();
    cfg.previous_scan = None;
    for (id, report) in reports {
        if report.target != target || report.started_at < since {
            continue;
        }
        for (name, n) in &report.stats.guessed_attempts {
            *cfg.prior_attempts.entry(name.clone()).or_insert(0) += n;
        }
        let ended = chrono::DateTime::parse_from_rfc3339(&report.started_at)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or(now)
            + chrono::Duration::milliseconds(report.duration_ms as i64);
        let ago = (now - ended).num_milliseconds() as f64 / 60_000.0;
        if cfg
            .previous_scan
            .as_ref()
            .is_none_or(|l| ago < l.ended_minutes_ago)
        {
            cfg.previous_scan = Some(crate::config::PreviousScan {
                id: id.to_string(),
                started_at: report.started_at.clone(),
                ended_minutes_ago: ago,
            });
        }
    }
}

/// A new scan id: 16 hex digits, the first 10 from the clock (ids sort by time), the rest random.
/// Within one process ids also sort in the order they were made: two made in the same
/// millisecond (failed runs recorded back to back) would otherwise sort by their random part,
/// and the store breaks ties between equal times by id.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let ms = chrono::Utc::now().timestamp_millis().max(0) as u64 & 0xff_ffff_ffff;
    let fresh = (ms << 24) | u64::from(rand::random::<u32>() & 0xff_ffff);
    let prev = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(fresh.max(last + 1))
        })
        .unwrap_or(0);
    format!("{:016x}", fresh.max(prev + 1))
}

/// What a database error says, in one line.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => one_line(db.message()),
        sqlx::Error::Io(io) => one_line(&io.to_string()),
        sqlx::Error::PoolTimedOut => {
            "it did not answer within 10 s (is the server running?)".into()
        }
        other => one_line(&other.to_string()),
    }
}

/// SQLite's "file is not a database" (and its kin) is a wrong or damaged file, not a failure of
/// the store; anything else goes to `or`.
fn not_a_store_or(
    shown: &str,
    e: sqlx::Error,
    or: impl FnOnce(sqlx::Error) -> StoreError,
) -> StoreError {
    let msg = describe(&e);
    let lower = msg.to_ascii_lowercase();
    if lower.contains("not a database") || lower.contains("malformed") || lower.contains("corrupt")
    {
        StoreError::NotAStore(shown.to_string(), msg)
    } else {
        or(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(target: &str, score: u32, started_at: &str) -> Report {
        let mut r = crate::render::testdata::report();
        r.target = target.to_string();
        r.score = score;
        r.started_at = started_at.to_string();
        r
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn urls_parse_and_hide_passwords() {
        assert_eq!(
            StoreUrl::parse("sqlite:keyhole.db").unwrap(),
            StoreUrl::Sqlite("keyhole.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite:///tmp/k.db").unwrap(),
            StoreUrl::Sqlite("/tmp/k.db".into())
        );
        let pg = StoreUrl::parse("postgres://u:secret@127.0.0.1:5432/k").unwrap();
        assert!(pg.is_postgres());
        assert!(!pg.shown().contains("secret"), "{}", pg.shown());
        for bad in ["", "keyhole.db", "mysql://x", "sqlite:", "sqlite::memory:"] {
            let e = StoreUrl::parse(bad).unwrap_err().to_string();
            assert!(e.contains("sqlite:PATH"), "{bad}: {e}");
        }
    }

    #[test]
    fn saves_whole_reports_and_lists_them_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::Sqlite(dir.path().join("h.db"));
        rt().block_on(async {
            let store = Store::open(&url, true).await.unwrap();
            let a = report("http://127.0.0.1:1", 40, "2026-12-01T10:00:00Z");
            let b = report("http://127.0.0.1:1", 90, "2026-12-02T10:00:00Z");
            let other = report("http://127.0.0.1:2", 70, "2026-12-01T12:00:00Z");
            let ida = store.save(&a, None).await.unwrap();
            store.save(&b, None).await.unwrap();
            store.save(&other, None).await.unwrap();
            let all = store.scans(None, None).await.unwrap();
            assert_eq!(all.len(), 3);
            let one = store.scans(Some("http://127.0.0.1:1"), None).await.unwrap();
            assert_eq!(
                one.iter().map(|s| s.score).collect::<Vec<_>>(),
                vec![40, 90]
            );
            let since = store
                .scans(Some("http://127.0.0.1:1"), Some("2026-12-02"))
                .await
                .unwrap();
            assert_eq!(since.len(), 1);
            let (_, latest) = store.latest("http://127.0.0.1:1").await.unwrap().unwrap();
            assert_eq!(latest, b);
            let prev = store.previous(&one[1]).await.unwrap().unwrap();
            assert_eq!(prev, a);
            assert!(store.previous(&one[0]).await.unwrap().is_none());
            let (id, again) = store.report(&ida.id()[..12]).await.unwrap().unwrap();
            assert_eq!((id.as_str(), &again), (ida.id(), &a));
            store.close().await;
        });
        // Reopening (and re-running the migrations) keeps every report.
        rt().block_on(async {
            let store = Store::open(&url, false).await.unwrap();
            assert_eq!(store.count().await.unwrap(), 3);
        });
    }

    #[test]
    fn recall_adds_up_recent_attempts_of_the_target_and_names_the_latest_scan() {
        let now = chrono::Utc::now();
        let at = |mins: i64| {
            (now - chrono::Duration::minutes(mins))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        let with = |target: &str, mins: i64, admin: u32| {
            let mut r = report(target, 50, &at(mins));
            r.duration_ms = 60_000;
            r.stats.guessed_attempts = [("admin".to_string(), admin)].into();
            r
        };
        let t = "http://127.0.0.1:5000";
        let older = with(t, 30, 2);
        let newer = with(t, 10, 1);
        let stale = with(t, LOCKOUT_MEMORY_MINUTES + 5, 3);
        let other = with("http://127.0.0.1:6000", 1, 3);
        let mut cfg = crate::config::ScanConfig::build(
            t,
            Default::default(),
            crate::config::Verbosity::Quiet,
            false,
        )
        .unwrap();
        recall_from(
            &mut cfg,
            [("a", &older), ("b", &newer), ("c", &stale), ("d", &other)],
        );
        assert_eq!(cfg.prior_attempts.get("admin"), Some(&3));
        let last = cfg.previous_scan.clone().unwrap();
        assert_eq!(last.id, "b");
        // Started 10 minutes ago and ran one: ended about 9 minutes ago.
        assert!((8.9..9.2).contains(&last.ended_minutes_ago), "{last:?}");
        assert!(
            last.describe().contains("9 minutes ago"),
            "{}",
            last.describe()
        );
        recall_from(&mut cfg, [("c", &stale)]);
        assert!(cfg.prior_attempts.is_empty() && cfg.previous_scan.is_none());
    }

    #[test]
    fn ids_made_one_after_another_sort_in_that_order() {
        let ids: Vec<String> = (0..2000).map(|_| new_id()).collect();
        assert!(ids.iter().all(|i| i.len() == 16), "{ids:?}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }

    #[test]
    fn a_job_key_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::Sqlite(dir.path().join("h.db"));
        rt().block_on(async {
            let store = Store::open(&url, true).await.unwrap();
            let r = report("http://127.0.0.1:1", 40, "2026-12-01T10:00:00Z");
            let first = store.save(&r, Some("job-1")).await.unwrap();
            assert!(matches!(first, Saved::New(_)));
            let second = store.save(&r, Some("job-1")).await.unwrap();
            assert_eq!(second, Saved::Duplicate(first.id().to_string()));
            assert!(store.has_job("job-1").await.unwrap());
            assert!(!store.has_job("job-2").await.unwrap());
            assert_eq!(store.count().await.unwrap(), 1);
        });
    }

    #[test]
    fn failures_are_remembered_once_per_job() {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::Sqlite(dir.path().join("h.db"));
        rt().block_on(async {
            let store = Store::open(&url, true).await.unwrap();
            let a = "http://127.0.0.1:9";
            let first = store
                .record_failure(a, "cannot connect\n(refused)", Some("job-1"))
                .await
                .unwrap();
            let again = store
                .record_failure(a, "other", Some("job-1"))
                .await
                .unwrap();
            assert_eq!(first, again);
            store
                .record_failure("http://127.0.0.1:8", "bad config", None)
                .await
                .unwrap();
            let all = store.failures(None, None).await.unwrap();
            assert_eq!(all.len(), 2);
            let one = store.failures(Some(a), None).await.unwrap();
            assert_eq!(one.len(), 1);
            assert_eq!(one[0].reason, "cannot connect (refused)");
            assert_eq!(one[0].keyhole_version, env!("CARGO_PKG_VERSION"));
            assert!(one[0].failed_at.ends_with('Z'));
            assert!(store
                .failures(None, Some("2999-01-01T00:00:00Z"))
                .await
                .unwrap()
                .is_empty());
        });
    }

    #[test]
    fn prune_deletes_the_selection_in_one_go_and_a_dry_run_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::Sqlite(dir.path().join("h.db"));
        rt().block_on(async {
            let store = Store::open(&url, true).await.unwrap();
            for day in 1..=4 {
                let r = report(
                    "http://127.0.0.1:1",
                    50,
                    &format!("2026-11-0{day}T10:00:00Z"),
                );
                store.save(&r, None).await.unwrap();
            }
            let other = report("http://127.0.0.1:2", 70, "2026-11-01T10:00:00Z");
            store.save(&other, None).await.unwrap();
            store
                .record_failure("http://127.0.0.1:1", "refused", None)
                .await
                .unwrap();
            let rules = prune::Rules {
                keep: Some(1),
                older_than: None,
            };
            let dry = store.prune(None, &rules, true).await.unwrap();
            assert!(dry.dry_run);
            assert_eq!((dry.plan.scans.len(), dry.plan.kept), (3, 2));
            assert_eq!(store.count().await.unwrap(), 5);
            // One target only.
            let done = store
                .prune(Some("http://127.0.0.1:2"), &rules, false)
                .await
                .unwrap();
            assert!(done.plan.scans.is_empty());
            let done = store.prune(None, &rules, false).await.unwrap();
            assert_eq!(done.plan.scans.len(), 3);
            // The failure is newer than the one kept scan (it was recorded now).
            assert!(done.plan.failures.is_empty());
            let left = store.scans(None, None).await.unwrap();
            assert_eq!(
                left.iter()
                    .map(|s| s.started_at.as_str())
                    .collect::<Vec<_>>(),
                ["2026-11-04T10:00:00Z", "2026-11-01T10:00:00Z"]
            );
            let rules = prune::Rules {
                keep: None,
                older_than: Some("2999-01-01T00:00:00Z".into()),
            };
            let done = store.prune(None, &rules, false).await.unwrap();
            assert_eq!((done.plan.scans.len(), done.plan.failures.len()), (0, 1));
            assert_eq!(store.count().await.unwrap(), 2);
            assert!(store.failures(None, None).await.unwrap().is_empty());
        });
    }

    #[test]
    fn refuses_files_that_are_not_its_own_and_leaves_them_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.db");
        let bytes = b"this is not a database, it is a text file with some words in it\n".repeat(40);
        std::fs::write(&junk, &bytes).unwrap();
        let e = rt()
            .block_on(Store::open(&StoreUrl::Sqlite(junk.clone()), true))
            .unwrap_err();
        assert!(matches!(e, StoreError::NotAStore(..)), "{e}");
        assert_eq!(std::fs::read(&junk).unwrap(), bytes);

        let missing = dir.path().join("none.db");
        let e = rt()
            .block_on(Store::open(&StoreUrl::Sqlite(missing.clone()), false))
            .unwrap_err();
        assert!(matches!(e, StoreError::Missing(_)), "{e}");
        assert!(!missing.exists());
    }
}
