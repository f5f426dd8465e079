//! `keyhole demo`: a built-in sign-in API on 127.0.0.1 (vulnerable, or hardened with `--fixed`).
//! (Stub: to be implemented.)

use std::net::SocketAddr;

/// A running demo server; it stops when dropped.
pub struct DemoServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DemoServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Start the demo API on a free 127.0.0.1 port.
pub async fn start(fixed: bool) -> std::io::Result<DemoServer> {
    let _ = fixed;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, _rx) = tokio::sync::oneshot::channel();
    Ok(DemoServer {
        addr,
        shutdown: Some(tx),
    })
}
