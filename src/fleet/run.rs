//! Running a fleet: `parallel` targets at a time, never two of one origin at once, each scan on
//! a thread and runtime of its own (so one target's timing samples never wait on another's
//! work), each report saved to the store as it finishes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{Mutex, Semaphore};

use super::FleetTarget;
use crate::baseline::{Baseline, ChangedFinding, Comparison};
use crate::config::Verbosity;
use crate::report::Report;
use crate::store::{Saved, Store};

/// The default of `--parallel`.
pub const DEFAULT_PARALLEL: usize = 4;
/// The most targets scanned at once.
pub const MAX_PARALLEL: usize = 64;

/// What happened to one target.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetOutcome {
    pub target: String,
    /// The stored scan's id (re-render it with `keyhole history --report ID`).
    pub scan_id: Option<String>,
    pub grade: Option<String>,
    pub score: Option<u32>,
    /// Whether the scan found anything to test (a sign-in surface); an untested A is no pass.
    pub tested: bool,
    /// The previous stored scan's score, if there was one.
    pub previous_score: Option<u32>,
    pub score_change: Option<i64>,
    /// Findings the previous stored scan did not have (all findings, on a first scan).
    pub new: Vec<ChangedFinding>,
    /// Findings of the previous stored scan that were checked again and are gone.
    pub fixed: Vec<ChangedFinding>,
    /// Why the target fails its gate (--fail-under, --fail-on-regression), if it does.
    pub gate: Option<String>,
    /// Why the target could not be scanned or stored, if so.
    pub error: Option<String>,
    /// When its scan started, in milliseconds after the fleet started.
    pub started_ms: u64,
    pub duration_ms: u64,
}

impl TargetOutcome {
    pub(crate) fn failed(target: &str, error: String, duration_ms: u64) -> TargetOutcome {
        TargetOutcome {
            target: target.to_string(),
            scan_id: None,
            grade: None,
            score: None,
            tested: false,
            previous_score: None,
            score_change: None,
            new: Vec::new(),
            fixed: Vec::new(),
            gate: None,
            error: Some(error),
            started_ms: 0,
            duration_ms,
        }
    }
}

/// The whole fleet's result, targets in file order.
#[derive(Debug, Clone, Serialize)]
pub struct FleetResult {
    pub store: String,
    pub targets: Vec<TargetOutcome>,
    /// Wall-clock time of the fleet.
    pub wall_ms: u64,
    /// The scans' durations added up (what one at a time would have taken).
    pub scans_ms: u64,
}

impl FleetResult {
    /// Exit code: 2 when a target could not be scanned or stored, 1 when one failed its gate.
    pub fn exit_code(&self) -> u8 {
        if self.targets.iter().any(|t| t.error.is_some()) {
            crate::exit::EXIT_ERROR
        } else if self.targets.iter().any(|t| t.gate.is_some()) {
            crate::exit::EXIT_GATE
        } else {
            crate::exit::EXIT_OK
        }
    }
}

/// Progress on stderr: one bar for the fleet (on a terminal), one line per finished target.
struct FleetProgress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: AtomicUsize,
    verbosity: Verbosity,
}

impl FleetProgress {
    fn new(total: usize, verbosity: Verbosity) -> FleetProgress {
        use std::io::IsTerminal;
        let bar = (verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()).then(|| {
            let pb = indicatif::ProgressBar::new(total as u64);
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "keyhole: fleet [{bar:30}] {pos}/{len} targets, {elapsed} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            pb.enable_steady_tick(Duration::from_millis(200));
            pb
        });
        FleetProgress {
            bar,
            total,
            done: AtomicUsize::new(0),
            verbosity,
        }
    }

    fn finished(&self, o: &TargetOutcome) {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        let line = format!("keyhole: [{n}/{}] {}", self.total, outcome_line(o));
        match &self.bar {
            Some(pb) => {
                pb.println(line);
                pb.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

/// "http://… B 85/100 (+10), 1 new, 2 fixed, 4.2 s" — a finished target in one line.
pub fn outcome_line(o: &TargetOutcome) -> String {
    let took = crate::render::duration(o.duration_ms);
    if let Some(e) = &o.error {
        return format!("{}: error: {e} ({took})", o.target);
    }
    let change = crate::baseline::score_change_label(o.score_change, "unchanged");
    let mut line = format!(
        "{}: {} {}/100 ({change}), {} new, {} fixed, {took}",
        o.target,
        o.grade.as_deref().unwrap_or("?"),
        o.score.unwrap_or(0),
        o.new.len(),
        o.fixed.len()
    );
    if !o.tested {
        line.push_str(" — nothing tested: no sign-in surface found");
    }
    if let Some(g) = &o.gate {
        line.push_str(&format!(" — fails its gate: {g}"));
    }
    line
}

/// Scan every target, `parallel` at a time, and store each report as it finishes.
pub async fn run(
    targets: Vec<FleetTarget>,
    store: &Store,
    parallel: usize,
    verbosity: Verbosity,
) -> FleetResult {
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(parallel.clamp(1, MAX_PARALLEL)));
    let mut origins: HashMap<String, Arc<Mutex<()>>> = HashMap::new();
    let progress = FleetProgress::new(targets.len(), verbosity);
    let order = dispatch_order(&targets, store).await;
    let mut slots: Vec<Option<FleetTarget>> = targets.into_iter().map(Some).collect();
    let queued: Vec<FleetTarget> = order.iter().filter_map(|&i| slots[i].take()).collect();
    // Slots and origins are granted in the order the tasks first ask (both are fair queues).
    let tasks = queued.into_iter().map(|t| {
        let origin = origins.entry(t.origin.clone()).or_default().clone();
        let permits = permits.clone();
        let progress = &progress;
        async move {
            // The origin first, then a slot: a target waiting for its origin holds no slot.
            let outcome = {
                let _origin = origin.lock().await;
                let _slot = permits.acquire().await;
                let scan_started = Instant::now();
                // The guessed accounts' earlier attempts must be known before any is tried: a
                // store that cannot say is this target's error, not a fresh cap of 3.
                let mut cfg = t.cfg.clone();
                let scanned = match store.recall(&mut cfg).await {
                    Ok(()) => {
                        let scanned = scan_on_own_thread(&cfg).await;
                        if let Err(e) = &scanned {
                            // Kept beside the scans, as a queued scan's failure is: history and
                            // the dashboard show it. A store that cannot take it changes nothing
                            // here (the summary says the target failed either way).
                            let _ = store.record_failure(&t.label, e, None).await;
                        }
                        scanned
                    }
                    Err(e) => Err(format!("not scanned: {e}")),
                };
                let ms = scan_started.elapsed().as_millis() as u64;
                drop(_slot);
                let mut outcome = match scanned {
                    Ok(report) => record(store, &t, report, ms).await,
                    Err(e) => TargetOutcome::failed(&t.label, e, ms),
                };
                outcome.started_ms = (scan_started - started).as_millis() as u64;
                outcome
            };
            progress.finished(&outcome);
            outcome
        }
    });
    let finished = futures_util::future::join_all(tasks).await;
    progress.finish();
    // Back to the file's order.
    let mut outcomes: Vec<TargetOutcome> = Vec::with_capacity(finished.len());
    let mut by_index: Vec<(usize, TargetOutcome)> = order.into_iter().zip(finished).collect();
    by_index.sort_by_key(|(i, _)| *i);
    outcomes.extend(by_index.into_iter().map(|(_, o)| o));
    FleetResult {
        store: store.shown().to_string(),
        scans_ms: outcomes.iter().map(|o| o.duration_ms).sum(),
        targets: outcomes,
        wall_ms: started.elapsed().as_millis() as u64,
    }
}

/// The order scans are started in: longest first, so that the fleet does not end waiting on one
/// long scan started last. A target's length is its previous stored scan's duration; targets
/// never scanned before go first (they may be long), in the file's order.
async fn dispatch_order(targets: &[FleetTarget], store: &Store) -> Vec<usize> {
    let mut known: Vec<Option<u64>> = Vec::with_capacity(targets.len());
    for t in targets {
        let last = store.latest(&t.label).await.ok().flatten();
        known.push(last.map(|(_, r)| r.duration_ms));
    }
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| match known[i] {
        None => (0, 0),
        Some(ms) => (1, u64::MAX - ms),
    });
    order
}

/// Run one target's scan on a blocking thread with its own single-threaded runtime: the same
/// conditions as `keyhole scan`, whatever the other targets are doing. A scan that outlives its
/// deadline by far, or panics, is that target's error, never the fleet's.
pub async fn scan_on_own_thread(cfg: &crate::config::ScanConfig) -> Result<Report, String> {
    scan_apart(cfg.clone(), None, None)
        .await
        .unwrap_or_else(|| Err("the scan was cancelled".into()))
}

/// [`scan_on_own_thread`], telling `watch` how it goes, until it ends or `cancel` fires (then
/// `None`): cancelling drops the scan, and with it every request in flight.
pub async fn scan_apart(
    cfg: crate::config::ScanConfig,
    watch: Option<crate::pipeline::Watch>,
    cancel: Option<tokio_util::sync::CancellationToken>,
) -> Option<Result<Report, String>> {
    let deadline = cfg.deadline;
    let grace = cfg.deadline + cfg.timeout * 2 + Duration::from_secs(10);
    let handle = tokio::task::spawn_blocking(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return Some(Err(format!("cannot start a runtime: {e}"))),
        };
        rt.block_on(async {
            let cancelled = async {
                match &cancel {
                    Some(c) => c.cancelled().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = crate::pipeline::scan_watched(cfg, watch) => Some(r.map_err(|e| e.to_string())),
                _ = cancelled => None,
            }
        })
    });
    match tokio::time::timeout(grace, handle).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Some(Err(
            "the scan stopped unexpectedly (a bug in keyhole: please report it)".into(),
        )),
        Err(_) => Some(Err(format!(
            "the scan did not end within its deadline plus {} s",
            (grace - deadline).as_secs()
        ))),
    }
}

/// Compare a finished report with the target's previous stored scan, store it, apply the gates.
pub async fn record(store: &Store, t: &FleetTarget, report: Report, ms: u64) -> TargetOutcome {
    let previous = match store.latest(&report.target).await {
        Ok(p) => p.map(|(_, r)| r),
        Err(e) => return unsaved(t, &report, e.to_string(), ms),
    };
    let comparison = previous
        .as_ref()
        .map(|p| crate::baseline::compare(&Baseline::from_report(p), &report));
    let id = match store.save(&report, None).await {
        Ok(Saved::New(id) | Saved::Duplicate(id)) => id,
        Err(e) => return unsaved(t, &report, e.to_string(), ms),
    };
    outcome(t, &report, comparison.as_ref(), id, ms)
}

/// The outcome of a stored scan.
pub fn outcome(
    t: &FleetTarget,
    report: &Report,
    comparison: Option<&Comparison>,
    id: String,
    ms: u64,
) -> TargetOutcome {
    let mut gate = Vec::new();
    if let Some(g) = t.cfg.fail_under {
        if g.fails(report.score, &report.grade) {
            gate.push(format!(
                "grade {} ({}/100) is below --fail-under",
                report.grade, report.score
            ));
        }
    }
    if t.fail_on_regression {
        if let Some(reason) = comparison.and_then(Comparison::regression_reason) {
            gate.push(format!("regression against the previous scan: {reason}"));
        }
    }
    let new = match comparison {
        Some(c) => c.new.clone(),
        None => report.findings.iter().map(ChangedFinding::from).collect(),
    };
    TargetOutcome {
        target: report.target.clone(),
        scan_id: Some(id),
        grade: Some(report.grade.clone()),
        score: Some(report.score),
        tested: report.categories.iter().any(|c| c.tested),
        previous_score: comparison.map(|c| c.previous_score),
        score_change: comparison.map(|c| c.score_change),
        new,
        fixed: comparison.map(|c| c.fixed.clone()).unwrap_or_default(),
        gate: (!gate.is_empty()).then(|| gate.join("; ")),
        error: None,
        started_ms: 0,
        duration_ms: ms,
    }
}

/// The store failed after the scan: keep the report in a file beside the working directory, so
/// that no finished scan is lost, and say where.
fn unsaved(t: &FleetTarget, report: &Report, why: String, ms: u64) -> TargetOutcome {
    let host: String = t
        .label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = format!(
        "keyhole-unsaved-{}-{}.json",
        host.trim_matches('-'),
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    );
    let kept = serde_json::to_vec_pretty(report)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            crate::exit::write_atomically(std::path::Path::new(&name), &bytes)
                .map_err(|e| e.to_string())
        });
    let error = match kept {
        Ok(()) => format!("not stored ({why}); the report is kept in {name}"),
        Err(e) => format!("not stored ({why}), and it could not be kept in {name} either: {e}"),
    };
    TargetOutcome::failed(&t.label, error, ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_previous_scans_start_first_and_new_targets_before_them() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::StoreUrl::Sqlite(dir.path().join("h.db"));
        let text = (1..=4)
            .map(|p| format!("[[target]]\nurl = \"http://127.0.0.1:{p}\"\n"))
            .collect::<String>();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, text).unwrap();
        let targets = crate::fleet::load(&path, &crate::fleet::FleetFlags::default()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::open(&url, true).await.unwrap();
            // Ports 1 and 3 were scanned before: 3 took longer. 2 and 4 are new.
            for (port, ms) in [(1, 500), (3, 9000)] {
                let mut r = crate::render::testdata::report();
                r.target = format!("http://127.0.0.1:{port}");
                r.duration_ms = ms;
                store.save(&r, None).await.unwrap();
            }
            assert_eq!(dispatch_order(&targets, &store).await, vec![1, 3, 2, 0]);
        });
    }
}
