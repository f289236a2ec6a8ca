//! How to reach etcd: calicoctl's settings (`etcdEndpoints`, `etcdUsername`/`etcdPassword`,
//! `etcdCACertFile`, `etcdCertFile`, `etcdKeyFile`) plus the client's time limits.

use std::path::PathBuf;
use std::time::Duration;

/// Connection settings for [`crate::EtcdBackend`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdSettings {
    /// Client URLs (`https://10.0.0.1:2379`); the backend fails over between them.
    pub endpoints: Vec<String>,
    /// User name; used only together with a password, as calicoctl does.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// CA certificate that signed the servers' certificates (PEM).
    pub ca_cert_file: Option<PathBuf>,
    /// Client certificate (PEM), with `key_file`.
    pub cert_file: Option<PathBuf>,
    /// Client private key (PEM), with `cert_file`.
    pub key_file: Option<PathBuf>,
    /// Limit for opening a connection to one endpoint.
    pub dial_timeout: Duration,
    /// Limit for one call, failover included; after it the call is `Unavailable`.
    pub request_timeout: Duration,
}

/// Default limit for opening a connection to one endpoint.
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit for one call.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl EtcdSettings {
    /// Settings for `endpoints` with no credentials and the default time limits.
    #[must_use]
    pub fn new(endpoints: Vec<String>) -> EtcdSettings {
        EtcdSettings {
            endpoints,
            username: None,
            password: None,
            ca_cert_file: None,
            cert_file: None,
            key_file: None,
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Whether any TLS file is set.
    #[must_use]
    pub fn uses_tls(&self) -> bool {
        self.ca_cert_file.is_some() || self.cert_file.is_some() || self.key_file.is_some()
    }

    /// The endpoints joined for messages.
    #[must_use]
    pub fn endpoint_list(&self) -> String {
        self.endpoints.join(",")
    }
}
