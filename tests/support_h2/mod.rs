//! Serve an axum `Router` on 127.0.0.1 the way real HTTP/2 servers do: over TLS with a fresh
//! self-signed certificate, offering the given ALPN protocols, or in cleartext; either way each
//! connection speaks whichever of HTTP/1.1 and HTTP/2 the client starts (hyper-util's auto).

use std::sync::Arc;

use axum::Router;

/// A TLS acceptor with a fresh self-signed certificate, offering `alpn` in that order.
pub fn acceptor(alpn: &[&[u8]]) -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls;
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("self-signed certificate");
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        ck.key_pair.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("TLS server config");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// [`serve`] on a runtime of its own, in a thread of its own (as a server in another process
/// would be: the scan's tasks do not delay its answers).
#[allow(dead_code)]
pub fn serve_apart(router: Router, alpn: Option<&'static [&'static [u8]]>) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            tx.send(serve(router, alpn).await).ok();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("the server started")
}

/// Serve `router` on 127.0.0.1: over TLS offering `alpn` when given, else cleartext. The base
/// URL (https:// or http://).
pub async fn serve(router: Router, alpn: Option<&[&[u8]]>) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tls = alpn.map(acceptor);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            tcp.set_nodelay(true).ok();
            let service = TowerToHyperService::new(router.clone());
            let tls = tls.clone();
            tokio::spawn(async move {
                let builder = Builder::new(TokioExecutor::new());
                match tls {
                    Some(t) => {
                        if let Ok(stream) = t.accept(tcp).await {
                            builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await
                                .ok();
                        }
                    }
                    None => {
                        builder
                            .serve_connection(TokioIo::new(tcp), service)
                            .await
                            .ok();
                    }
                }
            });
        }
    });
    let scheme = if alpn.is_some() { "https" } else { "http" };
    format!("{scheme}://{addr}")
}
