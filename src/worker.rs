//! Queued scans on many machines: `keyhole fleet FILE --enqueue` puts one job per target on a
//! queue in the PostgreSQL store, and any number of `keyhole worker` processes take them.
//!
//! The queue is apalis with its PostgreSQL storage (schema `apalis`, beside keyhole's tables),
//! not a loop of our own:
//! - a worker locks one job at a time (`batch_size(1)`, concurrency 1), so a killed worker
//!   strands at most the scan it was running;
//! - a worker that stops sending heartbeats for a lease is dead, and another worker's heartbeat
//!   puts its job back on the queue;
//! - every job carries a key (`ScanJob::key`, also apalis's idempotency key) and the store keeps
//!   one report per key, so a scan that ran twice (its first worker died after storing it and
//!   before the queue heard) is stored once; a worker that takes a job whose report is stored
//!   already only acknowledges it.
//! - on SIGTERM or Ctrl-C the worker takes no new job and finishes the one it is running; a job
//!   still running when the grace period ends goes back to the queue at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_postgres::{Config, PostgresStorage};
use sqlx::PgPool;

use crate::config::Verbosity;
use crate::fleet::{FleetTarget, ScanJob};
use crate::store::one_line;
use crate::store::{Saved, Store, StoreUrl};

/// The queue's name (apalis.jobs.job_type).
pub const QUEUE: &str = "keyhole-scan";
/// How long a worker may go without a heartbeat before its scan is queued again, by default.
pub const DEFAULT_LEASE_SECS: f64 = 30.0;
/// How long a stopping worker lets its running scan finish, by default (the scan's own
/// deadline is 120 s unless the targets file says otherwise).
pub const DEFAULT_GRACE_SECS: f64 = 150.0;
/// Attempts of one job: a re-queue after a worker died counts as one.
const MAX_ATTEMPTS: usize = 3;

/// Why queueing or working cannot go on (exit 2, one line).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("keyhole worker needs the shared PostgreSQL store (--store postgres://USER@HOST/DB), not {0}: a worker takes scans that `keyhole fleet FILE --enqueue` queued there")]
    NotPostgres(String),
    #[error("the queue in {0} cannot be set up: {1}")]
    Setup(String, String),
    #[error("cannot queue the scans in {0}: {1}")]
    Push(String, String),
    #[error("the worker stopped: {0}")]
    Monitor(String),
    #[error("{0} must be {1}, not {2}")]
    Range(&'static str, &'static str, String),
}

/// Five heartbeats in a lease: a worker is dead after missing five in a row.
fn heartbeat(lease: Duration) -> Duration {
    (lease / 5).max(Duration::from_secs(1))
}

fn config(lease: Duration) -> Config {
    Config::default()
        .queue(QUEUE)
        // One job per fetch: apalis's default (10) locks ten jobs to one worker, and a killed
        // worker strands them all until its lease ends.
        .batch_size(1)
        .heartbeat_interval(heartbeat(lease))
        .missed_heartbeats(5)
}

async fn setup(pool: &PgPool, shown: &str) -> Result<(), WorkerError> {
    PostgresStorage::setup(pool)
        .await
        .map_err(|e| WorkerError::Setup(shown.to_string(), one_line(&e.to_string())))
}

/// Queue one scan per target. Returns how many were queued.
pub async fn enqueue(store: &Store, targets: &[FleetTarget]) -> Result<usize, WorkerError> {
    let pool = store
        .pg_pool()
        .ok_or_else(|| WorkerError::NotPostgres(store.shown().to_string()))?;
    setup(pool, store.shown()).await?;
    // One batch per `fleet --enqueue`: its scans are new jobs even if the same file was queued
    // before; within the batch, a target is one job.
    let batch = format!(
        "{}-{:08x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        rand::random::<u32>()
    );
    let tasks: Vec<Task<ScanJob>> = targets
        .iter()
        .map(|t| {
            let job = ScanJob {
                key: format!("{batch}/{}", t.label),
                url: t.label.clone(),
                options: t.options.clone(),
            };
            TaskBuilder::new(job.clone())
                .idempotency_key(&job.key)
                .max_attempts(MAX_ATTEMPTS)
                .build()
        })
        .collect();
    let n = tasks.len();
    let mut backend = PostgresStorage::<ScanJob>::new(pool)
        .with_config(config(Duration::from_secs_f64(DEFAULT_LEASE_SECS)));
    backend
        .push_all(&mut futures_util::stream::iter(tasks))
        .await
        .map_err(|e| WorkerError::Push(store.shown().to_string(), one_line(&e.to_string())))?;
    Ok(n)
}

/// What a worker needs in each job.
#[derive(Clone)]
struct Shared {
    store: Store,
    name: String,
    verbosity: Verbosity,
    done: Arc<AtomicU64>,
    max_scans: Option<u64>,
    stop: Arc<tokio::sync::Notify>,
}

impl Shared {
    fn say(&self, msg: &str) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("keyhole: worker {}: {msg}", self.name);
        }
    }

    /// The job is given up: remember why in the store (so `keyhole history` shows the failed
    /// run), and tell the queue not to retry. A store that cannot take the failure does not
    /// change that: the scan still gave up, and the worker says so on stderr.
    async fn give_up(&self, job: &ScanJob, reason: &str) -> BoxDynError {
        let reason = one_line(reason);
        // The target as history names it (the label a stored report would carry).
        let target = crate::config::parse_target(&job.url)
            .map(|u| crate::config::target_label(&u))
            .unwrap_or_else(|_| job.url.clone());
        if let Err(e) = self
            .store
            .record_failure(&target, &reason, Some(&job.key))
            .await
        {
            self.say(&format!(
                "{}: the failed run was not recorded: {e}",
                job.url
            ));
        }
        Box::new(AbortError::new(reason))
    }
}

/// One queued scan: skip it when its report is stored already, else scan and store it.
async fn scan_job(job: ScanJob, shared: Data<Shared>) -> Result<String, BoxDynError> {
    let shared: &Shared = &shared;
    if let Ok(true) = shared.store.has_job(&job.key).await {
        shared.say(&format!("{} was scanned and stored already", job.url));
        return Ok("stored before".into());
    }
    let mut cfg = match job.config() {
        Ok(cfg) => cfg,
        Err(e) => {
            // Checked when it was queued; what can differ here is this machine's environment
            // (a --password-env variable). Retrying will not help: give the job up.
            shared.say(&format!("{}: cannot scan: {e}", job.url));
            return Err(shared.give_up(&job, &e.to_string()).await);
        }
    };
    shared.store.recall(&mut cfg).await?;
    shared.say(&format!("scanning {}", job.url));
    let started = Instant::now();
    let report = match crate::fleet::run::scan_on_own_thread(&cfg).await {
        Ok(r) => r,
        Err(e) => {
            shared.say(&format!("{}: error: {e}", job.url));
            return Err(shared.give_up(&job, &e).await);
        }
    };
    // A store failure is worth a retry (another worker, a moment later).
    let saved = shared.store.save(&report, Some(&job.key)).await?;
    let id = match &saved {
        Saved::New(id) => id.clone(),
        Saved::Duplicate(id) => format!("{id} (stored before)"),
    };
    shared.say(&format!(
        "{}: {} {}/100, stored as scan {id} ({})",
        job.url,
        report.grade,
        report.score,
        crate::render::duration(started.elapsed().as_millis() as u64)
    ));
    let done = shared.done.fetch_add(1, Ordering::SeqCst) + 1;
    if shared.max_scans.is_some_and(|m| done >= m) {
        shared.stop.notify_one();
    }
    Ok(saved.id().to_string())
}

/// Resolves on SIGTERM or SIGINT.
async fn terminate() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// Jobs of the queue not finished yet.
async fn outstanding(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE job_type = $1 \
         AND NOT (status IN ('Done', 'Killed') OR (status = 'Failed' AND attempts >= max_attempts))",
    )
    .bind(QUEUE)
    .fetch_one(pool)
    .await
}

fn secs(name: &'static str, v: Option<f64>, default: f64) -> Result<Duration, WorkerError> {
    let v = v.unwrap_or(default);
    if v.is_finite() && (1.0..=86_400.0).contains(&v) {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(WorkerError::Range(
            name,
            "seconds from 1 to 86400",
            v.to_string(),
        ))
    }
}

/// What `keyhole worker` was asked for, as the command line gave it (checked here).
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub store: String,
    pub max_scans: Option<u64>,
    pub exit_when_idle: Option<f64>,
    pub lease: Option<f64>,
    pub grace: Option<f64>,
    pub verbosity: crate::config::Verbosity,
}

/// `keyhole worker --store postgres://…`.
pub async fn run_cli(args: WorkerOptions) -> anyhow::Result<u8> {
    let url = StoreUrl::parse(&args.store)?;
    if !url.is_postgres() {
        return Err(WorkerError::NotPostgres(url.shown()).into());
    }
    let lease = secs("--lease", args.lease, DEFAULT_LEASE_SECS)?;
    let grace = secs("--grace", args.grace, DEFAULT_GRACE_SECS)?;
    let idle = args
        .exit_when_idle
        .map(|s| secs("--exit-when-idle", Some(s), 0.0))
        .transpose()?;
    if args.max_scans == Some(0) {
        return Err(WorkerError::Range("--max-scans", "at least 1", "0".into()).into());
    }
    let store = Store::open(&url, true).await?;
    let pool = store
        .pg_pool()
        .expect("a postgres store has a pool")
        .clone();
    setup(&pool, store.shown()).await?;
    let name = format!(
        "keyhole-{}-{}-{:06x}",
        hostname(),
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    );
    let verbosity = args.verbosity;
    let shared = Shared {
        store: store.clone(),
        name: name.clone(),
        verbosity,
        done: Arc::new(AtomicU64::new(0)),
        max_scans: args.max_scans,
        stop: Arc::new(tokio::sync::Notify::new()),
    };
    shared.say(&format!(
        "taking scans from {} (lease {} s, grace {} s)",
        store.shown(),
        lease.as_secs(),
        grace.as_secs()
    ));
    let backend = PostgresStorage::<ScanJob>::new(&pool)
        .with_config(config(lease))
        .with_pubsub();
    let worker_name = name.clone();
    let data = shared.clone();
    let monitor = Monitor::new()
        .register(move |_restarts| {
            WorkerBuilder::new(worker_name.as_str())
                .backend(backend.clone())
                .concurrency(1)
                .data(data.clone())
                .build(scan_job)
        })
        .shutdown_timeout(grace);
    let keeper_slot: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>> = Arc::default();
    let beat = heartbeat(lease);
    let stop = {
        let shared = shared.clone();
        let pool = pool.clone();
        let keeper_slot = keeper_slot.clone();
        async move {
            let idle_wait = async {
                let Some(idle) = idle else {
                    return std::future::pending::<()>().await;
                };
                let mut empty_since: Option<Instant> = None;
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    match outstanding(&pool).await {
                        Ok(0) => {
                            let since = *empty_since.get_or_insert_with(Instant::now);
                            if since.elapsed() >= idle {
                                return;
                            }
                        }
                        _ => empty_since = None,
                    }
                }
            };
            let reason = tokio::select! {
                s = terminate() => match s {
                    Ok(sig) => format!("{sig}: taking no new scan, finishing the current one"),
                    Err(e) => format!("cannot listen for signals ({e})"),
                },
                _ = shared.stop.notified() => "done its --max-scans".to_string(),
                _ = idle_wait => "the queue is empty (--exit-when-idle)".to_string(),
            };
            shared.say(&reason);
            // While it drains, apalis sends no more heartbeats for this worker: keep its lease
            // alive ourselves, or another worker would take the scan it is finishing.
            let keeper = {
                let name = shared.name.clone();
                tokio::spawn(async move {
                    loop {
                        let _ = sqlx::query(
                            "UPDATE apalis.workers SET last_seen = now() WHERE id = $1",
                        )
                        .bind(&name)
                        .execute(&pool)
                        .await;
                        tokio::time::sleep(beat).await;
                    }
                })
            };
            if let Ok(mut k) = keeper_slot.lock() {
                *k = Some(keeper);
            }
            Ok(())
        }
    };
    let result = monitor.run_with_signal(stop).await;
    if let Some(k) = keeper_slot.lock().ok().and_then(|mut k| k.take()) {
        k.abort();
    }
    // A scan still running when the grace period ended goes back to the queue now, rather than
    // after the lease.
    let released = sqlx::query(
        "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL, \
         done_at = NULL, attempts = attempts + 1 \
         WHERE job_type = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')",
    )
    .bind(QUEUE)
    .bind(&name)
    .execute(&pool)
    .await
    .map(|r| r.rows_affected())
    .unwrap_or(0);
    if released > 0 {
        shared.say(&format!(
            "{released} unfinished scan(s) handed back to the queue"
        ));
    }
    let done = shared.done.load(Ordering::SeqCst);
    shared.say(&format!("stopped after {done} scan(s)"));
    store.close().await;
    result.map_err(|e| WorkerError::Monitor(one_line(&e.to_string())))?;
    Ok(crate::exit::EXIT_OK)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect()
}
