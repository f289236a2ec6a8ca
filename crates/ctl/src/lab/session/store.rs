//! Where a lab keeps its state: a fresh embedded store, or an etcd cluster that the caller
//! runs. Process agents of an etcd lab read it from a calicoctl.cfg in the lab's directory.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::sync::Arc;

use tortie_datastore::{Client, Embedded};
use tortie_model::Kind;
use tortie_model::defaults::DEFAULT_ALLOW_PROFILE;
use tortie_model::resource::Resource;

use crate::config::EtcdConfig;

/// Where a lab keeps its state.
#[derive(Clone, Debug, Default)]
pub enum Store {
    /// A fresh embedded store in the lab's directory, removed with the lab.
    #[default]
    Embedded,
    /// An etcd v3 cluster that the caller runs and that holds no resources yet (built-in
    /// tiers aside); what the lab writes stays in it.
    Etcd(EtcdConfig),
}

impl Store {
    /// A client of the store; `dir` is where an embedded one lives.
    pub(super) fn open(&self, dir: &Path) -> Result<Client, String> {
        match self {
            Store::Embedded => {
                let backend = Embedded::open(dir).map_err(|e| e.to_string())?;
                Ok(Client::new(Arc::new(backend)))
            }
            Store::Etcd(cfg) => open_etcd(cfg),
        }
    }
}

#[cfg(feature = "etcd")]
fn open_etcd(cfg: &EtcdConfig) -> Result<Client, String> {
    let mut settings = tortie_datastore_etcd::EtcdSettings::new(cfg.endpoints.clone());
    settings.username.clone_from(&cfg.username);
    settings.password.clone_from(&cfg.password);
    settings.ca_cert_file.clone_from(&cfg.ca_cert_file);
    settings.cert_file.clone_from(&cfg.cert_file);
    settings.key_file.clone_from(&cfg.key_file);
    let backend = tortie_datastore_etcd::EtcdBackend::connect(&settings)
        .map_err(|e| format!("the etcd datastore at {}: {e}", settings.endpoint_list()))?;
    Ok(Client::new(Arc::new(backend)))
}

#[cfg(not(feature = "etcd"))]
fn open_etcd(cfg: &EtcdConfig) -> Result<Client, String> {
    Err(format!(
        "the etcd datastore at {} is not available: tortie was built without the `etcd` feature",
        cfg.endpoints.join(",")
    ))
}

/// `cfg` as a calicoctl.cfg file, readable by its owner only (it may hold a password).
pub(super) fn write_config(path: &Path, cfg: &EtcdConfig) -> Result<(), String> {
    // JSON strings are YAML strings: no quoting surprises in paths or passwords.
    let quote = |v: &str| serde_json::Value::from(v).to_string();
    let mut text = format!(
        "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {{}}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: {}\n",
        quote(&cfg.endpoints.join(","))
    );
    let paths = [
        ("etcdCACertFile", &cfg.ca_cert_file),
        ("etcdCertFile", &cfg.cert_file),
        ("etcdKeyFile", &cfg.key_file),
    ];
    for (field, value) in paths {
        if let Some(p) = value {
            text.push_str(&format!("  {field}: {}\n", quote(&p.to_string_lossy())));
        }
    }
    for (field, value) in [
        ("etcdUsername", &cfg.username),
        ("etcdPassword", &cfg.password),
    ] {
        if let Some(v) = value {
            text.push_str(&format!("  {field}: {}\n", quote(v)));
        }
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Refuses an etcd store that already holds resources (built-in ones aside).
pub(super) fn check_empty(client: &Client, cfg: &EtcdConfig) -> Result<(), String> {
    let held = client
        .list_acted_on()
        .map_err(|e| format!("reading the etcd datastore: {e}"))?;
    // Tiers alone change nothing; the default-allow profile is built in.
    let builtin = |r: &Resource| {
        r.kind() == Kind::Tier
            || (r.kind() == Kind::Profile && r.metadata().name == DEFAULT_ALLOW_PROFILE)
    };
    match held.items.iter().find(|r| !builtin(r)) {
        None => Ok(()),
        Some(r) => Err(format!(
            "the etcd datastore at {} already holds resources ({:?} {}); a lab needs an empty one",
            cfg.endpoints.join(","),
            r.kind(),
            r.metadata().name
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::write_config;
    use crate::config::{Datastore, EtcdConfig, parse_file};

    #[test]
    fn the_written_config_reads_back_as_the_same_etcd_settings() {
        let cfg = EtcdConfig {
            endpoints: vec!["https://127.0.0.1:2379".into(), "https://[::1]:2380".into()],
            username: Some("lab".into()),
            password: Some("p: a\"s#s".into()),
            ca_cert_file: Some(PathBuf::from("/tmp/a b/ca.pem")),
            cert_file: Some(PathBuf::from("/tmp/client.pem")),
            key_file: Some(PathBuf::from("/tmp/client-key.pem")),
        };
        let dir = std::env::temp_dir().join(format!("tortie-store-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("datastore.cfg");
        write_config(&path, &cfg).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).expect("metadata").permissions(),
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(parse_file(&path, &text), Ok(Datastore::Etcd(cfg)), "{text}");
        assert_eq!(mode & 0o777, 0o600, "the password stays private");
    }
}
