//! What every command shares at its edge: exit codes and writing a file whole or not at all.
//! The commands (scan, fleet, worker) use these without importing the command line.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit codes of the SPEC.
pub const EXIT_OK: u8 = 0;
pub const EXIT_GATE: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// Write a file whole or not at all: a temporary file beside it, then a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.keyhole-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
