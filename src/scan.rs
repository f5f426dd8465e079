//! Shared scan state: the validated config, the HTTP engine, the account-safety ledger, random
//! accounts and passwords, and progress on stderr.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use rand::distributions::{Alphanumeric, DistString};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::config::{ScanConfig, Verbosity};
use crate::http::Engine;

/// Most failed attempts a username that may be real gets in one scan (SPEC safety promise).
pub const MAX_ATTEMPTS_REAL_ACCOUNT: u32 = 3;
/// Length of every password keyhole sends (SPEC: random, at least 16 characters).
pub const PASSWORD_LEN: usize = 32;

/// The role an account plays in a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A fresh random, non-existent account.
    Random,
    /// A random account repeated the way a candidate is (the A/A control).
    Control,
    /// A guessed account that may exist (admin, root…): at most 3 attempts.
    Candidate,
    /// The tester's own account (`--username`).
    Owned,
}

/// Most password-reset requests for the tester's own account (SPEC safety promise).
pub const MAX_OWNED_RESETS: u32 = 3;
/// Most sign-ins with the tester's real password per scan (SPEC safety promise).
pub const MAX_REAL_SIGN_INS: u32 = 3;
/// Most registration probes for an identifier that may be real.
pub const MAX_REGISTRATION_PROBES: u32 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SafetyError {
    #[error("account '{0}' already had {1} attempts (the safety cap)")]
    AttemptCap(String, u32),
    #[error("the real password was already sent {0} times (the safety cap)")]
    RealSignIns(u32),
    #[error(
        "no password reset is ever sent for '{0}': only random identifiers and --username get one"
    )]
    GuessedReset(String),
    #[error("account '{0}' is not tried again: the site warned of a lock ({1})")]
    Warned(String, String),
    #[error("account '{0}' already has an attempt in flight")]
    Busy(String),
}

/// Hears each phase of a scan (the MCP server turns them into progress notifications).
pub type StepObserver = Arc<dyn Fn(&str) + Send + Sync>;

/// Progress lines on stderr (never stdout), and to an observer when one listens.
pub struct Progress {
    verbosity: Verbosity,
    bar: Option<indicatif::ProgressBar>,
    observer: Option<StepObserver>,
}

impl Progress {
    pub fn new(verbosity: Verbosity) -> Progress {
        let bar = (verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()).then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.set_style(
                indicatif::ProgressStyle::with_template("{spinner} keyhole: {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        });
        Progress {
            verbosity,
            bar,
            observer: None,
        }
    }

    /// Also tell `observer` of each phase.
    pub fn set_observer(&mut self, observer: StepObserver) {
        self.observer = Some(observer);
    }

    /// A phase of the scan.
    pub fn step(&self, msg: &str) {
        if let Some(o) = &self.observer {
            o(msg);
        }
        match &self.bar {
            Some(pb) => pb.set_message(msg.to_string()),
            None if self.verbosity != Verbosity::Quiet => eprintln!("keyhole: {msg}"),
            None => {}
        }
    }

    /// Detail shown only with -v.
    pub fn detail(&self, msg: &str) {
        if self.verbosity == Verbosity::Verbose {
            match &self.bar {
                Some(pb) => pb.println(format!("  {msg}")),
                None => eprintln!("  {msg}"),
            }
        }
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

/// Everything the pipeline stages share.
pub struct Scanner {
    pub cfg: ScanConfig,
    pub engine: Engine,
    pub progress: Progress,
    ledger: Mutex<HashMap<String, u32>>,
    /// Reset and registration requests per (flow, identifier) that may be real.
    flow_ledger: Mutex<HashMap<(crate::report::Flow, String), u32>>,
    randoms: Mutex<HashSet<String>>,
    real_sign_ins: std::sync::atomic::AtomicU32,
    /// Possibly-real accounts the site warned about (attempts counting down, a lock coming):
    /// never tried again in this scan, with what the site said.
    warned: Mutex<Vec<(String, String)>>,
    /// Possibly-real accounts with an attempt in flight (never two at once).
    busy: Mutex<HashSet<String>>,
}

/// Holds a possibly-real account as in flight until dropped.
pub struct AccountHold<'a> {
    scanner: &'a Scanner,
    name: Option<String>,
}

impl Drop for AccountHold<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.name.take() {
            self.scanner
                .busy
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&n);
        }
    }
}

impl Scanner {
    pub fn new(cfg: ScanConfig, engine: Engine) -> Scanner {
        let progress = Progress::new(cfg.verbosity);
        Scanner {
            cfg,
            engine,
            progress,
            ledger: Mutex::new(HashMap::new()),
            flow_ledger: Mutex::new(HashMap::new()),
            randoms: Mutex::new(HashSet::new()),
            real_sign_ins: std::sync::atomic::AtomicU32::new(0),
            warned: Mutex::new(Vec::new()),
            busy: Mutex::new(HashSet::new()),
        }
    }

    /// The site warned that `name` is near a lock (or locked): no attempt on it again.
    pub fn warn(&self, name: &str, what: &str) {
        let mut w = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        if !w.iter().any(|(n, _)| n == name) {
            self.progress.detail(&format!(
                "stopping all attempts on '{name}': the site warned \"{what}\""
            ));
            w.push((name.to_string(), what.to_string()));
        }
    }

    /// Accounts the site warned about, with what it said.
    pub fn warnings(&self) -> Vec<(String, String)> {
        self.warned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn warning_for(&self, name: &str) -> Option<String> {
        self.warned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, w)| w.clone())
    }

    /// Hold a possibly-real account as in flight (random and owned accounts need no hold):
    /// an error when it already is, so two attempts on it never go out together.
    pub fn hold_account(&self, name: &str, role: Role) -> Result<AccountHold<'_>, SafetyError> {
        if role != Role::Candidate {
            return Ok(AccountHold {
                scanner: self,
                name: None,
            });
        }
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        if !busy.insert(name.to_string()) {
            return Err(SafetyError::Busy(name.to_string()));
        }
        Ok(AccountHold {
            scanner: self,
            name: Some(name.to_string()),
        })
    }

    /// A random password that cannot be anybody's: 32 random characters.
    pub fn password(&self) -> String {
        random_password()
    }

    /// A fresh random username shaped like the field wants (an email for email fields).
    pub fn random_account(&self, id: crate::surface::Identifier) -> String {
        use crate::surface::Identifier;
        let mut rng = rand::thread_rng();
        let letters: String = (0..rng.gen_range(8..=10))
            .map(|_| (b'a' + rng.gen_range(0..26)) as char)
            .collect();
        let name = format!("{letters}{}", rng.gen_range(10..100));
        let name = match id {
            Identifier::Email { domain } => format!("{name}@{domain}"),
            // 555-0100 to 555-0199 are set aside for fiction (NANP).
            Identifier::Phone => format!("+1555010{:02}", rng.gen_range(0..100)),
            Identifier::Username => name,
        };
        if let Ok(mut r) = self.randoms.lock() {
            r.insert(name.clone());
        }
        name
    }

    /// Whether `name` is one of the random accounts this scan made up.
    pub fn is_random(&self, name: &str) -> bool {
        self.randoms
            .lock()
            .map(|r| r.contains(name))
            .unwrap_or(false)
    }

    /// Count one failed attempt on an account that may be real; refuse past the cap.
    /// Random accounts and the tester's own account are not capped.
    pub fn charge_account(&self, name: &str, role: Role) -> Result<(), SafetyError> {
        if role == Role::Owned && self.cfg.username.as_deref() == Some(name) {
            return Ok(());
        }
        if matches!(role, Role::Random | Role::Control) && self.is_random(name) {
            return Ok(());
        }
        if let Some(w) = self.warning_for(name) {
            return Err(SafetyError::Warned(name.to_string(), w));
        }
        let prior = self.prior_attempts(name);
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let n = ledger.entry(name.to_string()).or_insert(0);
        if *n + prior >= MAX_ATTEMPTS_REAL_ACCOUNT {
            return Err(SafetyError::AttemptCap(name.to_string(), *n + prior));
        }
        *n += 1;
        Ok(())
    }

    /// Failed attempts on `name` by earlier scans of this target within the lockout memory
    /// (from the history store; none without one).
    pub fn prior_attempts(&self, name: &str) -> u32 {
        self.cfg.prior_attempts.get(name).copied().unwrap_or(0)
    }

    /// Accounts this scan may not try at all because earlier scans used their attempts.
    pub fn withheld_by_earlier_scans(&self, name: &str) -> bool {
        self.prior_attempts(name) >= MAX_ATTEMPTS_REAL_ACCOUNT
    }

    /// This scan's failed attempts on accounts that may be real, by account.
    pub fn guessed_attempts(&self) -> std::collections::BTreeMap<String, u32> {
        let ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        ledger
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.clone(), *n))
            .collect()
    }

    /// Count one reset or registration request for `name`; refuse what the safety promises
    /// forbid: a reset for anyone but a random identifier or the tester's account (at most 3),
    /// a second registration probe for an identifier that may be real.
    pub fn charge_flow(
        &self,
        flow: crate::report::Flow,
        name: &str,
        role: Role,
    ) -> Result<(), SafetyError> {
        use crate::report::Flow;
        if self.is_random(name) && matches!(role, Role::Random | Role::Control) {
            return Ok(());
        }
        let owned = role == Role::Owned && self.cfg.username.as_deref() == Some(name);
        let cap = match flow {
            Flow::SignIn => return self.charge_account(name, role),
            Flow::PasswordReset if owned => MAX_OWNED_RESETS,
            Flow::PasswordReset => return Err(SafetyError::GuessedReset(name.to_string())),
            Flow::Registration => MAX_REGISTRATION_PROBES,
        };
        let mut ledger = self.flow_ledger.lock().unwrap_or_else(|e| e.into_inner());
        let n = ledger.entry((flow, name.to_string())).or_insert(0);
        if *n >= cap {
            return Err(SafetyError::AttemptCap(name.to_string(), *n));
        }
        *n += 1;
        Ok(())
    }

    /// Count one sign-in with the real password; refuse past [`MAX_REAL_SIGN_INS`].
    pub fn charge_real_sign_in(&self) -> Result<(), SafetyError> {
        use std::sync::atomic::Ordering;
        let before = self
            .real_sign_ins
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_REAL_SIGN_INS).then_some(n + 1)
            });
        before.map(|_| ()).map_err(SafetyError::RealSignIns)
    }

    /// Attempts left on a possibly-real account.
    pub fn attempts_left(&self, name: &str) -> u32 {
        if self.warning_for(name).is_some() {
            return 0;
        }
        let prior = self.prior_attempts(name);
        let ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        MAX_ATTEMPTS_REAL_ACCOUNT.saturating_sub(ledger.get(name).copied().unwrap_or(0) + prior)
    }
}

/// 32 characters from letters, digits and a few symbols.
pub fn random_password() -> String {
    let mut rng = rand::thread_rng();
    let mut p = Alphanumeric.sample_string(&mut rng, PASSWORD_LEN - 4);
    let symbols = ['!', '#', '%', '*', '-', '_', '.', '~'];
    for _ in 0..4 {
        let at = rng.gen_range(0..=p.len());
        p.insert(at, *symbols.choose(&mut rng).unwrap_or(&'#'));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner(username: Option<&str>) -> Scanner {
        let o = crate::config::Overrides {
            username: username.map(str::to_string),
            ..Default::default()
        };
        let cfg =
            ScanConfig::build("http://127.0.0.1:9", o, Verbosity::Quiet, false).expect("a config");
        let engine = Engine::new(
            &cfg.target,
            crate::http::EngineConfig {
                max_requests: 10,
                concurrency: 1,
                timeout: std::time::Duration::from_secs(1),
                deadline: std::time::Instant::now() + std::time::Duration::from_secs(5),
                insecure: false,
                http2_prior_knowledge: false,
            },
        )
        .expect("an engine");
        Scanner::new(cfg, engine)
    }

    #[test]
    fn resets_go_only_to_random_identifiers_and_three_times_to_the_owned_one() {
        use crate::report::Flow;
        let s = scanner(Some("me@example.com"));
        let r = s.random_account(crate::surface::Identifier::email());
        for _ in 0..40 {
            assert!(s.charge_flow(Flow::PasswordReset, &r, Role::Random).is_ok());
        }
        assert!(matches!(
            s.charge_flow(Flow::PasswordReset, "admin", Role::Candidate),
            Err(SafetyError::GuessedReset(_))
        ));
        // A made-up name that is not one of the scan's randoms is a guess.
        assert!(s
            .charge_flow(
                Flow::PasswordReset,
                "abcdefgh12@example.invalid",
                Role::Random
            )
            .is_err());
        for _ in 0..3 {
            assert!(s
                .charge_flow(Flow::PasswordReset, "me@example.com", Role::Owned)
                .is_ok());
        }
        assert!(s
            .charge_flow(Flow::PasswordReset, "me@example.com", Role::Owned)
            .is_err());
    }

    #[test]
    fn a_guessed_identifier_gets_one_registration_probe() {
        use crate::report::Flow;
        let s = scanner(None);
        assert!(s
            .charge_flow(Flow::Registration, "admin", Role::Candidate)
            .is_ok());
        assert!(s
            .charge_flow(Flow::Registration, "admin", Role::Candidate)
            .is_err());
    }

    #[test]
    fn earlier_scans_count_against_a_guessed_account_cap() {
        let mut s = scanner(Some("me@example.com"));
        s.cfg.prior_attempts = [("admin".to_string(), 2), ("root".to_string(), 3)].into();
        assert_eq!(s.attempts_left("admin"), 1);
        assert!(s.charge_account("admin", Role::Candidate).is_ok());
        assert!(s.charge_account("admin", Role::Candidate).is_err());
        assert!(s.withheld_by_earlier_scans("root") && !s.withheld_by_earlier_scans("admin"));
        assert!(s.charge_account("root", Role::Candidate).is_err());
        // The tester's own account is not capped, whatever earlier scans did.
        s.cfg.prior_attempts.insert("me@example.com".into(), 9);
        assert!(s.charge_account("me@example.com", Role::Owned).is_ok());
        // The report carries only this scan's attempts.
        assert_eq!(s.guessed_attempts(), [("admin".to_string(), 1)].into());
    }

    #[test]
    fn passwords_are_long_and_random() {
        let a = random_password();
        let b = random_password();
        assert_eq!(a.chars().count(), PASSWORD_LEN);
        const { assert!(PASSWORD_LEN >= 16) };
        assert_ne!(a, b);
    }
}
