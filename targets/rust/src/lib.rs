//! Shared start-up code for the Rust targets: `BIN --port PORT` serves on 127.0.0.1:PORT.

use std::net::SocketAddr;

/// Parse `--port PORT` from argv.
pub fn port_from_args() -> u16 {
    let args: Vec<String> = std::env::args().collect();
    let port = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|p| *p > 0);
    match port {
        Some(p) => p,
        None => {
            eprintln!("usage: {} --port PORT", args.first().map(String::as_str).unwrap_or("target"));
            std::process::exit(2);
        }
    }
}

/// Serve `app` on 127.0.0.1 with the peer address available to extractors, until SIGTERM/SIGINT.
pub async fn serve(app: axum::Router, name: &str) {
    let port = port_from_args();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("{name}: cannot bind 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        });
    eprintln!("{name}: listening on http://127.0.0.1:{port}/");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
        })
        .await
        .unwrap_or_else(|e| eprintln!("{name}: server error: {e}"));
}

/// Constant-time byte comparison (no early exit on the first difference).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
