//! Where the datastore is: calicoctl's `CalicoAPIConfig` file format and environment variables,
//! plus Tortie's embedded store.
//!
//! Precedence: the `-c/--config` flag, then the environment (`TORTIE_DATASTORE=DIR`, or
//! calicoctl's `DATASTORE_TYPE`, `ETCD_ENDPOINTS`, ... with or without the `CALICO_` prefix),
//! then the first config file that exists of `/etc/tortie/tortie.cfg` and
//! `/etc/calico/calicoctl.cfg`, then the default embedded store at `/var/lib/tortie/datastore`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The config files read when no `-c` is given, in order.
pub const DEFAULT_CONFIG_FILES: [&str; 2] = ["/etc/tortie/tortie.cfg", "/etc/calico/calicoctl.cfg"];
/// The embedded store used when nothing else is configured.
pub const DEFAULT_EMBEDDED_DIR: &str = "/var/lib/tortie/datastore";

/// etcd connection settings (calicoctl's names).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EtcdConfig {
    /// Client URLs.
    pub endpoints: Vec<String>,
    /// User name (used only with a password).
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// CA certificate file.
    pub ca_cert_file: Option<PathBuf>,
    /// Client certificate file.
    pub cert_file: Option<PathBuf>,
    /// Client key file.
    pub key_file: Option<PathBuf>,
}

/// Which datastore, and where it came from (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Datastore {
    /// The embedded store in a directory.
    Embedded {
        /// The directory.
        dir: PathBuf,
    },
    /// An etcd v3 cluster.
    Etcd(EtcdConfig),
}

/// A resolved datastore and a note on how it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The datastore.
    pub datastore: Datastore,
    /// `config file /etc/...`, `environment`, `default`.
    pub source: String,
}

/// `CalicoAPIConfig`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApiConfig {
    api_version: String,
    kind: String,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for compatibility; carries nothing")]
    metadata: serde_json::Value,
    #[serde(default)]
    spec: ApiConfigSpec,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "every calicoctl field is accepted; the Kubernetes API ones have no use in Tortie"
)]
struct ApiConfigSpec {
    #[serde(default)]
    datastore_type: String,
    /// Tortie's addition: the embedded store's directory.
    #[serde(default)]
    embedded_directory: String,
    #[serde(default)]
    etcd_endpoints: String,
    #[serde(default)]
    etcd_discovery_srv: String,
    #[serde(default)]
    etcd_username: String,
    #[serde(default)]
    etcd_password: String,
    #[serde(default, rename = "etcdKeyFile")]
    etcd_key_file: String,
    #[serde(default, rename = "etcdCertFile")]
    etcd_cert_file: String,
    #[serde(default, rename = "etcdCACertFile")]
    etcd_ca_cert_file: String,
    #[serde(default)]
    etcd_key: String,
    #[serde(default)]
    etcd_cert: String,
    #[serde(default, rename = "etcdCACert")]
    etcd_ca_cert: String,
    #[serde(default)]
    kubeconfig: String,
    #[serde(default, rename = "k8sAPIEndpoint")]
    k8s_api_endpoint: String,
    #[serde(default, rename = "k8sKeyFile")]
    k8s_key_file: String,
    #[serde(default, rename = "k8sCertFile")]
    k8s_cert_file: String,
    #[serde(default, rename = "k8sCAFile")]
    k8s_ca_file: String,
    #[serde(default, rename = "k8sAPIToken")]
    k8s_api_token: String,
    #[serde(default)]
    k8s_insecure_skip_tls_verify: bool,
    #[serde(default)]
    k8s_current_context: String,
    #[serde(default)]
    k8s_client_qps: serde_json::Value,
    #[serde(default)]
    k8s_client_burst: serde_json::Value,
    #[serde(default, rename = "calicoAPIGroup")]
    calico_api_group: String,
    #[serde(default, rename = "usePodCIDR")]
    use_pod_cidr: bool,
    #[serde(default)]
    kubeconfig_inline: String,
}

/// The parts of the process environment the config reads.
pub type Env = BTreeMap<String, String>;

/// Reads the variables that matter from the real environment.
#[must_use]
pub fn process_env() -> Env {
    std::env::vars()
        .filter(|(k, _)| {
            k.starts_with("TORTIE_")
                || k.starts_with("CALICO_")
                || k.starts_with("ETCD_")
                || k == "DATASTORE_TYPE"
        })
        .collect()
}

/// calicoctl checks `CALICO_<NAME>` first, then `<NAME>`.
fn env_var<'e>(env: &'e Env, name: &str) -> Option<&'e str> {
    env.get(&format!("CALICO_{name}"))
        .or_else(|| env.get(name))
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn split_endpoints(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(String::from)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn from_values(
    datastore_type: &str,
    embedded_dir: &str,
    etcd: EtcdConfig,
    where_: &str,
) -> Result<Datastore, String> {
    let kind = if datastore_type.is_empty() {
        if etcd.endpoints.is_empty() {
            "embedded"
        } else {
            "etcdv3"
        }
    } else {
        datastore_type
    };
    match kind {
        "embedded" => Ok(Datastore::Embedded {
            dir: PathBuf::from(if embedded_dir.is_empty() {
                DEFAULT_EMBEDDED_DIR
            } else {
                embedded_dir
            }),
        }),
        "etcdv3" => {
            if etcd.endpoints.is_empty() {
                return Err(format!(
                    "{where_}: datastoreType etcdv3 needs etcdEndpoints"
                ));
            }
            Ok(Datastore::Etcd(etcd))
        }
        "kubernetes" => Err(format!(
            "{where_}: datastoreType `kubernetes` is not supported: Tortie keeps its state in its embedded store or in etcd (use `embedded` or `etcdv3`)"
        )),
        other => Err(format!(
            "{where_}: unknown datastoreType `{other}`: use `embedded` or `etcdv3`"
        )),
    }
}

/// Parses a calicoctl.cfg / tortie.cfg file.
///
/// # Errors
/// A message naming the file and what is wrong.
pub fn parse_file(path: &Path, text: &str) -> Result<Datastore, String> {
    let docs = tortie_model::yaml::parse_stream(text)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.pos.line, e.message))?;
    let Some(doc) = docs.first() else {
        return Err(format!("{}: the file is empty", path.display()));
    };
    let cfg: ApiConfig = tortie_model::yaml::from_node(doc).map_err(|e| {
        format!(
            "{}:{}: {}: {}",
            path.display(),
            e.pos.line,
            e.path,
            e.message
        )
    })?;
    if cfg.api_version != "projectcalico.org/v3" || cfg.kind != "CalicoAPIConfig" {
        return Err(format!(
            "{}: expected `apiVersion: projectcalico.org/v3` and `kind: CalicoAPIConfig`, found `{}` and `{}`",
            path.display(),
            cfg.api_version,
            cfg.kind
        ));
    }
    let s = cfg.spec;
    if !s.etcd_key.is_empty() || !s.etcd_cert.is_empty() || !s.etcd_ca_cert.is_empty() {
        return Err(format!(
            "{}: inline etcdKey/etcdCert/etcdCACert are not supported yet; use the *File fields",
            path.display()
        ));
    }
    let etcd = EtcdConfig {
        endpoints: split_endpoints(&s.etcd_endpoints),
        username: opt(&s.etcd_username),
        password: opt(&s.etcd_password),
        ca_cert_file: opt(&s.etcd_ca_cert_file).map(PathBuf::from),
        cert_file: opt(&s.etcd_cert_file).map(PathBuf::from),
        key_file: opt(&s.etcd_key_file).map(PathBuf::from),
    };
    from_values(
        &s.datastore_type,
        &s.embedded_directory,
        etcd,
        &path.display().to_string(),
    )
}

/// Resolves the datastore from the flag, the environment and the default files.
///
/// # Errors
/// A message naming the file or variable that is wrong.
pub fn resolve(
    flag: Option<&Path>,
    env: &Env,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Result<Resolved, String> {
    if let Some(path) = flag {
        let text =
            read(path).ok_or_else(|| format!("cannot read config file `{}`", path.display()))?;
        return Ok(Resolved {
            datastore: parse_file(path, &text)?,
            source: format!("config file {}", path.display()),
        });
    }
    if let Some(dir) = env.get("TORTIE_DATASTORE").filter(|d| !d.is_empty()) {
        return Ok(Resolved {
            datastore: Datastore::Embedded {
                dir: PathBuf::from(dir),
            },
            source: "TORTIE_DATASTORE".into(),
        });
    }
    if env_var(env, "DATASTORE_TYPE").is_some() || env_var(env, "ETCD_ENDPOINTS").is_some() {
        let etcd = EtcdConfig {
            endpoints: env_var(env, "ETCD_ENDPOINTS")
                .map(split_endpoints)
                .unwrap_or_default(),
            username: env_var(env, "ETCD_USERNAME").map(String::from),
            password: env_var(env, "ETCD_PASSWORD").map(String::from),
            ca_cert_file: env_var(env, "ETCD_CA_CERT_FILE").map(PathBuf::from),
            cert_file: env_var(env, "ETCD_CERT_FILE").map(PathBuf::from),
            key_file: env_var(env, "ETCD_KEY_FILE").map(PathBuf::from),
        };
        let ty = env_var(env, "DATASTORE_TYPE").unwrap_or_default();
        return Ok(Resolved {
            datastore: from_values(ty, "", etcd, "environment")?,
            source: "environment".into(),
        });
    }
    for file in DEFAULT_CONFIG_FILES {
        if let Some(text) = read(Path::new(file)) {
            return Ok(Resolved {
                datastore: parse_file(Path::new(file), &text)?,
                source: format!("config file {file}"),
            });
        }
    }
    Ok(Resolved {
        datastore: Datastore::Embedded {
            dir: PathBuf::from(DEFAULT_EMBEDDED_DIR),
        },
        source: "default".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(_: &Path) -> Option<String> {
        None
    }

    #[test]
    fn precedence_is_flag_then_env_then_file_then_default() {
        let mut env = Env::new();
        let file = "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: https://10.0.0.1:2379,https://10.0.0.2:2379\n  etcdCACertFile: /ca.pem\n";
        let files =
            |p: &Path| (p == Path::new("/etc/calico/calicoctl.cfg")).then(|| file.to_string());
        let r = resolve(None, &env, &no_files).unwrap();
        assert_eq!(
            r.datastore,
            Datastore::Embedded {
                dir: DEFAULT_EMBEDDED_DIR.into()
            }
        );
        let r = resolve(None, &env, &files).unwrap();
        let Datastore::Etcd(e) = r.datastore else {
            panic!("etcd")
        };
        assert_eq!(
            e.endpoints,
            ["https://10.0.0.1:2379", "https://10.0.0.2:2379"]
        );
        assert_eq!(e.ca_cert_file.as_deref(), Some(Path::new("/ca.pem")));
        env.insert("ETCD_ENDPOINTS".into(), "http://127.0.0.1:2379".into());
        let Datastore::Etcd(e) = resolve(None, &env, &files).unwrap().datastore else {
            panic!("etcd")
        };
        assert_eq!(
            e.endpoints,
            ["http://127.0.0.1:2379"],
            "environment beats the file"
        );
        env.insert(
            "CALICO_ETCD_ENDPOINTS".into(),
            "http://127.0.0.2:2379".into(),
        );
        let Datastore::Etcd(e) = resolve(None, &env, &files).unwrap().datastore else {
            panic!("etcd")
        };
        assert_eq!(
            e.endpoints,
            ["http://127.0.0.2:2379"],
            "CALICO_ prefix first, as calicoctl"
        );
        env.insert("TORTIE_DATASTORE".into(), "/tmp/x".into());
        assert_eq!(
            resolve(None, &env, &files).unwrap().datastore,
            Datastore::Embedded {
                dir: "/tmp/x".into()
            }
        );
        let flag_file = "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: embedded\n  embeddedDirectory: /srv/tortie\n";
        let read = |p: &Path| (p == Path::new("/my.cfg")).then(|| flag_file.to_string());
        assert_eq!(
            resolve(Some(Path::new("/my.cfg")), &env, &read)
                .unwrap()
                .datastore,
            Datastore::Embedded {
                dir: "/srv/tortie".into()
            }
        );
    }

    #[test]
    fn bad_files_are_named() {
        let e = parse_file(
            Path::new("c.cfg"),
            "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoint: x\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("c.cfg:4: spec.etcdEndpoint: unknown field"),
            "{e}"
        );
        let e = parse_file(Path::new("c.cfg"), "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec: {datastoreType: kubernetes}\n").unwrap_err();
        assert!(e.contains("not supported"), "{e}");
        let e = resolve(Some(Path::new("/nope")), &Env::new(), &no_files).unwrap_err();
        assert_eq!(e, "cannot read config file `/nope`");
    }
}
