//! Why a TLS connection was dropped. With TLS 1.3 a server that rejects the client certificate
//! says so (with an alert) only after the client considers the handshake done, and the gRPC
//! stack then reports just "connection closed". When that happens, a handshake of our own with
//! the same files recovers the server's reason (`received fatal alert: BadCertificate`).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};

/// The TLS files, read.
#[derive(Clone)]
pub(crate) struct TlsMaterial {
    pub(crate) ca: Option<Vec<u8>>,
    pub(crate) identity: Option<(Vec<u8>, Vec<u8>)>,
}

/// The HTTP/2 connection preface and an empty SETTINGS frame: enough for etcd to answer.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

fn config(m: &TlsMaterial) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    if let Some(ca) = &m.ca {
        for cert in CertificateDer::pem_slice_iter(ca) {
            let cert = cert.map_err(|e| format!("the CA file is not PEM: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the CA certificate is unusable: {e}"))?;
        }
    }
    let builder = ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    match &m.identity {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(cert)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("the client certificate is not PEM: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(key)
                .map_err(|e| format!("the client key is not PEM: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("the client certificate is unusable: {e}"))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// `host` and `host:port` of a URL such as `https://10.0.0.1:2379/`.
fn authority(url: &str) -> Option<(String, String)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let auth = rest.split('/').next()?;
    let (host, _) = auth.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_string(), auth.to_string()))
}

/// The server's reason for dropping a TLS connection to `url`, if it gives one.
pub(crate) async fn reason(url: &str, m: &TlsMaterial, limit: Duration) -> Option<String> {
    let probe = async {
        let config = match config(m) {
            Ok(c) => c,
            Err(e) => return Some(e),
        };
        let (host, addr) = authority(url)?;
        let name = ServerName::try_from(host).ok()?;
        let tcp = TcpStream::connect(addr).await.ok()?;
        let mut tls = match TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
        {
            Ok(s) => s,
            Err(e) => return Some(format!("TLS handshake failed: {e}")),
        };
        if let Err(e) = tls.write_all(PREFACE).await {
            return Some(format!("TLS: {e}"));
        }
        let mut buf = [0u8; 64];
        match tls.read(&mut buf).await {
            Err(e) => Some(format!("TLS: {e}")),
            Ok(_) => None,
        }
    };
    tokio::time::timeout(limit, probe).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tortie_testkit::certs::{Ca, CertPair};
    use tortie_testkit::etcd::EtcdCluster;

    use super::{TlsMaterial, authority, reason};

    fn material(ca: &Ca, client: Option<&CertPair>) -> TlsMaterial {
        let read = |p: &std::path::Path| std::fs::read(p).expect("read");
        TlsMaterial {
            ca: Some(read(&ca.cert)),
            identity: client.map(|c| (read(&c.cert), read(&c.key))),
        }
    }

    #[test]
    fn the_probe_recovers_the_servers_reason() {
        let (cluster, ca) = EtcdCluster::single_tls("probe").expect("a TLS etcd starts");
        let dir = cluster.dir().join("probe-certs");
        std::fs::create_dir_all(&dir).expect("dir");
        let good = ca.client(&dir, "good").expect("cert");
        let rogue = Ca::new(&dir, "rogue")
            .and_then(|r| r.client(&dir, "rogue"))
            .expect("cert");
        let url = cluster.endpoint(0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let limit = Duration::from_secs(5);
        let why = rt.block_on(reason(&url, &material(&ca, Some(&rogue)), limit));
        assert!(
            why.as_deref().is_some_and(|w| w.contains("BadCertificate")),
            "{why:?}"
        );
        let why = rt.block_on(reason(&url, &material(&ca, Some(&good)), limit));
        assert_eq!(why, None, "a good certificate is accepted");
    }

    #[test]
    fn authorities() {
        assert_eq!(
            authority("https://10.0.0.1:2379/"),
            Some(("10.0.0.1".into(), "10.0.0.1:2379".into()))
        );
        assert_eq!(
            authority("[::1]:2379"),
            Some(("::1".into(), "[::1]:2379".into()))
        );
        assert_eq!(authority("https://etcd"), None);
    }
}
