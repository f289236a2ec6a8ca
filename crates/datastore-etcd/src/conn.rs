//! The connection: a private tokio runtime that runs the async etcd client, one client per
//! endpoint, and failover between them.
//!
//! A call goes to the endpoint that answered last. If that endpoint cannot be reached (refused,
//! TLS failure, dial timeout) or has no leader, the call moves on to the next one; a round in
//! which every endpoint was unreachable ends the call with `Unavailable` at once, and no call
//! outlives the request timeout. A write is retried elsewhere only when it cannot have been
//! applied (it never left this process, or the member refused it for lack of a leader).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};
use tokio::runtime::Runtime;
use tokio::time::Instant;
use tortie_datastore::StoreError;

use crate::errors::{Failure, classify, tls_hint};
use crate::settings::EtcdSettings;
use crate::tls_probe::{self, TlsMaterial};

/// Largest response accepted (a list of many policies).
const MAX_MESSAGE: usize = 256 << 20;
/// Pause between failover rounds while the cluster has no leader.
const ROUND_PAUSE: Duration = Duration::from_millis(100);

/// Owns the runtime; shut down without blocking when the last user goes.
pub(crate) struct RuntimeOwner(Option<Runtime>);

impl RuntimeOwner {
    pub(crate) fn handle(&self) -> &tokio::runtime::Handle {
        self.0
            .as_ref()
            .map(Runtime::handle)
            .expect("runtime lives until drop")
    }
}

impl Drop for RuntimeOwner {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

struct Endpoint {
    url: String,
    client: Mutex<Option<Client>>,
}

/// Everything the async side needs; shared by the backend and its watches.
pub(crate) struct Shared {
    endpoints: Vec<Endpoint>,
    options: ConnectOptions,
    preferred: AtomicUsize,
    tls: Option<TlsMaterial>,
    pub(crate) dial_timeout: Duration,
    pub(crate) request_timeout: Duration,
    list: String,
}

fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>, StoreError> {
    std::fs::read(path).map_err(|e| {
        StoreError::Unavailable(format!(
            "cannot read the etcd {what} {}: {e}",
            path.display()
        ))
    })
}

fn tls_options(settings: &EtcdSettings) -> Result<Option<(TlsOptions, TlsMaterial)>, StoreError> {
    if !settings.uses_tls() {
        return Ok(None);
    }
    let mut material = TlsMaterial {
        ca: None,
        identity: None,
    };
    if let Some(plain) = settings.endpoints.iter().find(|e| e.starts_with("http://")) {
        return Err(StoreError::Backend(format!(
            "etcd certificate files are set but endpoint {plain} is not https"
        )));
    }
    let mut tls = TlsOptions::new();
    if let Some(ca) = &settings.ca_cert_file {
        let pem = read(ca, "CA certificate")?;
        tls = tls.ca_certificate(Certificate::from_pem(&pem));
        material.ca = Some(pem);
    }
    match (&settings.cert_file, &settings.key_file) {
        (Some(cert), Some(key)) => {
            let (cert, key) = (read(cert, "client certificate")?, read(key, "client key")?);
            tls = tls.identity(Identity::from_pem(&cert, &key));
            material.identity = Some((cert, key));
        }
        (None, None) => {}
        _ => {
            return Err(StoreError::Backend(
                "etcdCertFile and etcdKeyFile must be given together".into(),
            ));
        }
    }
    Ok(Some((tls, material)))
}

impl Shared {
    fn new(settings: &EtcdSettings) -> Result<Shared, StoreError> {
        if settings.endpoints.is_empty() {
            return Err(StoreError::Backend(
                "no etcd endpoints are configured".into(),
            ));
        }
        let mut options = ConnectOptions::new()
            .with_connect_timeout(settings.dial_timeout)
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5))
            .with_require_leader(true);
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            options = options
                .with_user(user.clone(), password.clone())
                .with_auto_token_refresh(true);
        }
        let tls = tls_options(settings)?;
        if let Some((tls, _)) = &tls {
            options = options.with_tls(tls.clone());
        }
        Ok(Shared {
            endpoints: settings
                .endpoints
                .iter()
                .map(|url| Endpoint {
                    url: url.clone(),
                    client: Mutex::new(None),
                })
                .collect(),
            options,
            preferred: AtomicUsize::new(0),
            tls: tls.map(|(_, m)| m),
            dial_timeout: settings.dial_timeout,
            request_timeout: settings.request_timeout,
            list: settings.endpoint_list(),
        })
    }

    /// The client of endpoint `i`, connecting (and authenticating) if needed.
    async fn client(&self, i: usize, deadline: Instant) -> Result<Client, Failure> {
        let ep = &self.endpoints[i];
        if let Some(c) = ep.client.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(c);
        }
        let limit = deadline.min(Instant::now() + self.dial_timeout);
        let connect = Client::connect([ep.url.as_str()], Some(self.options.clone()));
        let client = match tokio::time::timeout_at(limit, connect).await {
            Ok(Ok(c)) => c,
            Ok(Err(etcd_client::Error::InvalidArgs(m))) => {
                return Err(Failure::Fatal(StoreError::Backend(format!(
                    "etcd endpoint {}: {m}",
                    ep.url
                ))));
            }
            Ok(Err(etcd_client::Error::InvalidUri(u))) => {
                return Err(Failure::Fatal(StoreError::Backend(format!(
                    "etcd endpoint `{}` is not a valid URL: {u}",
                    ep.url
                ))));
            }
            Ok(Err(e)) => return Err(classify(&e)),
            Err(_) => return Err(Failure::NotSent("timed out connecting".into())),
        };
        *ep.client.lock().unwrap_or_else(|p| p.into_inner()) = Some(client.clone());
        Ok(client)
    }

    /// Makes the client of every endpoint, so that bad settings and refused credentials show
    /// now; endpoints that cannot be reached are left for later calls.
    pub(crate) async fn prepare(&self) -> Result<(), StoreError> {
        let deadline = Instant::now() + self.dial_timeout;
        for i in 0..self.endpoints.len() {
            if let Err(Failure::Fatal(e)) = self.client(i, deadline).await {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Runs `attempt` against the endpoints until one answers, within the request timeout.
    /// `idempotent` calls are also retried after failures that leave the outcome unknown.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        idempotent: bool,
        mut attempt: F,
    ) -> Result<T, StoreError>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let deadline = Instant::now() + self.request_timeout;
        let n = self.endpoints.len();
        loop {
            let start = self.preferred.load(Ordering::Relaxed);
            let mut unreachable = 0;
            let mut notes = Vec::new();
            for step in 0..n {
                let i = (start + step) % n;
                let url = &self.endpoints[i].url;
                let outcome = match self.client(i, deadline).await {
                    Ok(client) => match tokio::time::timeout_at(deadline, attempt(client)).await {
                        Ok(Ok(v)) => {
                            self.preferred.store(i, Ordering::Relaxed);
                            return Ok(v);
                        }
                        Ok(Err(e)) => classify(&e),
                        Err(_) => return Err(self.timed_out(idempotent)),
                    },
                    Err(f) => f,
                };
                let outcome = self.explain(url, outcome).await;
                match outcome {
                    Failure::Fatal(e) => return Err(e),
                    Failure::NotSent(m) => {
                        unreachable += 1;
                        notes.push(format!("{url}: {m}"));
                    }
                    Failure::Refused(m) => notes.push(format!("{url}: {m}")),
                    Failure::Unknown(m) if idempotent => notes.push(format!("{url}: {m}")),
                    Failure::Unknown(m) => {
                        return Err(StoreError::Unavailable(format!(
                            "etcd at {url} failed during a write whose outcome is unknown (read it back): {m}"
                        )));
                    }
                }
                if Instant::now() >= deadline {
                    return Err(self.timed_out(idempotent));
                }
            }
            if unreachable == n {
                return Err(StoreError::Unavailable(format!(
                    "no etcd endpoint could be reached ({})",
                    notes.join("; ")
                )));
            }
            if Instant::now() + ROUND_PAUSE >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "etcd did not serve the request within {:?} ({})",
                    self.request_timeout,
                    notes.join("; ")
                )));
            }
            tokio::time::sleep(ROUND_PAUSE).await;
        }
    }

    /// Replaces "connection closed" on a TLS endpoint with the server's reason, if it has one.
    async fn explain(&self, url: &str, failure: Failure) -> Failure {
        let (Failure::NotSent(m), Some(tls)) = (&failure, &self.tls) else {
            return failure;
        };
        if !m.contains("connection closed") {
            return failure;
        }
        match tls_probe::reason(url, tls, self.dial_timeout).await {
            Some(why) => Failure::NotSent(tls_hint(&why)),
            None => failure,
        }
    }

    fn timed_out(&self, idempotent: bool) -> StoreError {
        let unknown = if idempotent {
            ""
        } else {
            "; the write may or may not have been applied (read it back)"
        };
        StoreError::Unavailable(format!(
            "etcd at {} did not answer within {:?}{unknown}",
            self.list, self.request_timeout
        ))
    }
}

/// The runtime and the shared connection state.
pub(crate) struct Conn {
    pub(crate) runtime: Arc<RuntimeOwner>,
    pub(crate) shared: Arc<Shared>,
}

impl Conn {
    pub(crate) fn new(settings: &EtcdSettings) -> Result<Conn, StoreError> {
        let shared = Arc::new(Shared::new(settings)?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tortie-etcd")
            .enable_all()
            .build()
            .map_err(|e| {
                StoreError::Backend(format!("cannot start the etcd client runtime: {e}"))
            })?;
        Ok(Conn {
            runtime: Arc::new(RuntimeOwner(Some(runtime))),
            shared,
        })
    }

    /// Runs `f` on the runtime and waits for it. Safe from any thread, including threads of
    /// another tokio runtime (the caller blocks; nothing nests).
    pub(crate) fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Shared>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let fut = f(self.shared.clone());
        self.runtime.handle().spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(StoreError::Backend(
                "the etcd client's runtime stopped".into(),
            ))
        })
    }
}

/// The kv client of `client`, accepting large responses.
pub(crate) fn kv(client: &Client) -> etcd_client::KvClient {
    client.kv_client().max_decoding_message_size(MAX_MESSAGE)
}
