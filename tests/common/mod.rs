//! Helpers shared by the integration tests: the repository root, the keyhole
//! binary, and the real target servers of `targets/` (started with
//! `targets/run-target NAME PORT` on 127.0.0.1, stopped when dropped).
//!
//! Not every test file uses every helper, hence the `dead_code` allowances.

#![allow(dead_code)]

use std::fs::File;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a target may take to accept TCP connections.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a target may take to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The keyhole binary built for this test run.
pub fn keyhole_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyhole"))
}

/// `keyhole ARGS` run in DIR, with no `KEYHOLE_STORE` inherited and nothing on stdin.
pub fn keyhole_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(keyhole_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("KEYHOLE_STORE")
        .stdin(Stdio::null())
        .output()
        .expect("run keyhole")
}

/// Write DIR/targets.toml: one `[[target]]` per URL, each followed by the lines of EXTRA.
pub fn write_targets(dir: &Path, urls: &[String], extra: &str) {
    let mut file = String::new();
    for url in urls {
        file.push_str(&format!("[[target]]\nurl = \"{url}\"\n{extra}\n"));
    }
    std::fs::write(dir.join("targets.toml"), file).expect("write targets.toml");
}

/// Runs `scripts/setup-targets` once per test process; panics with its output
/// if it fails. The script is fast when everything is already installed and
/// serialises concurrent runs itself.
pub fn ensure_targets_setup() {
    static SETUP: OnceLock<Result<(), String>> = OnceLock::new();
    let result = SETUP.get_or_init(|| {
        let script = repo_root().join("scripts/setup-targets");
        let out = Command::new(&script)
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}):\n{}{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(msg) = result {
        panic!("{msg}");
    }
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// One running target server; stopped (with its whole process group) on drop.
pub struct Target {
    pub name: String,
    pub port: u16,
    /// Where the server's stdout and stderr go.
    pub log_path: PathBuf,
    child: Child,
}

impl Target {
    /// Starts target `name` (a name from the table in `targets/run-target`)
    /// on a free port and waits until it accepts connections. Runs
    /// `scripts/setup-targets` first (once per process).
    pub fn start(name: &str) -> Target {
        Target::start_on(name, free_port())
    }

    /// Starts target `name` on this port (e.g. where another target ran before: the same API,
    /// changed).
    pub fn start_on(name: &str, port: u16) -> Target {
        ensure_targets_setup();
        let log_path = std::env::temp_dir().join(format!(
            "keyhole-target-{name}-{port}-{}.log",
            std::process::id()
        ));
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("create {}: {e}", log_path.display()));
        let log_err = log.try_clone().expect("clone log file handle");
        let child = Command::new(repo_root().join("targets/run-target"))
            .arg(name)
            .arg(port.to_string())
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn targets/run-target {name} {port}: {e}"));
        let mut target = Target {
            name: name.to_string(),
            port,
            log_path,
            child,
        };
        target.wait_ready();
        target
    }

    fn wait_ready(&mut self) {
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let started = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => panic!(
                    "target {} exited before accepting connections ({status}); log {}:\n{}",
                    self.name,
                    self.log_path.display(),
                    self.log()
                ),
                Ok(None) => {}
                Err(e) => panic!("target {}: try_wait: {e}", self.name),
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if started.elapsed() > START_TIMEOUT {
                panic!(
                    "target {} did not accept connections on {addr} within {:?}; log {}:\n{}",
                    self.name,
                    START_TIMEOUT,
                    self.log_path.display(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT` + `path`
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }

    /// What the server has printed so far (for failure messages).
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(&self.log_path) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

/// Sends `signal` to the process group `pgid` (the child started with
/// `process_group(0)`), with the kill(1) command. The `--` matters: procps-ng
/// kill takes a bare `-PID` after the signal for an option and signals nothing.
fn kill_group(signal: &str, pgid: u32) {
    if pgid <= 1 {
        return; // never `kill -- -1` (every process) or `-0` (our own group)
    }
    let _ = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

impl Drop for Target {
    fn drop(&mut self) {
        let pid = self.child.id();
        if let Ok(None) = self.child.try_wait() {
            // The child leads its own process group: signal the whole group.
            kill_group("TERM", pid);
            let deadline = Instant::now() + STOP_TIMEOUT;
            loop {
                match self.child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        kill_group("KILL", pid);
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        // Keep the log of a failing test for inspection; remove it otherwise.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log_path);
        }
    }
}

// The throwaway PostgreSQL cluster of scripts/setup-postgres (127.0.0.1:55432), shared by the
// tests that need a PostgreSQL store: one fresh database per test, so parallel tests never meet.

/// The cluster's URL (the database `keyhole`), started once per test process.
pub fn cluster_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let out = Command::new(repo_root().join("scripts/setup-postgres"))
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/setup-postgres");
        assert!(
            out.status.success(),
            "scripts/setup-postgres failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
    .clone()
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A new, empty database on the cluster; its URL.
pub fn fresh_database(tag: &str) -> String {
    let base = cluster_url();
    let name = format!(
        "kh_{tag}_{}_{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xffffff
    );
    rt().block_on(async {
        let pool = sqlx::PgPool::connect(&base)
            .await
            .expect("connect to the cluster");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create database");
        pool.close().await;
    });
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}
