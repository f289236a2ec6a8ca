//! Throwaway certificate authorities: a CA, server certificates for `127.0.0.1`/`localhost` and
//! client certificates, written as PEM files for etcd's `--cert-file`/`--trusted-ca-file` and
//! for clients' `etcdCertFile`/`etcdKeyFile`/`etcdCACertFile`.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::Error;

/// A certificate and its private key, as files.
#[derive(Clone, Debug)]
pub struct CertPair {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// The private key (PKCS#8 PEM).
    pub key: PathBuf,
}

/// A certificate authority that lives as long as the test.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate file.
    pub cert: PathBuf,
}

fn err(what: &str, e: impl std::fmt::Display) -> Error {
    Error(format!("cannot {what}: {e}"))
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| err(&format!("write {}", path.display()), e))
}

impl Ca {
    /// A new CA named `name`, its certificate written to `dir/<name>-ca.pem`.
    ///
    /// # Errors
    /// Key generation or file writing failed.
    pub fn new(dir: &Path, name: &str) -> Result<Ca, Error> {
        std::fs::create_dir_all(dir).map_err(|e| err("create the certificate directory", e))?;
        let mut params = CertificateParams::new(Vec::new()).map_err(|e| err("make a CA", e))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        let key = KeyPair::generate().map_err(|e| err("generate a CA key", e))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| err("self-sign the CA", e))?;
        let path = dir.join(format!("{name}-ca.pem"));
        write(&path, &cert.pem())?;
        Ok(Ca {
            issuer: Issuer::new(params, key),
            cert: path,
        })
    }

    fn issue(
        &self,
        dir: &Path,
        stem: &str,
        sans: Vec<String>,
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<CertPair, Error> {
        let mut params = CertificateParams::new(sans).map_err(|e| err("make a certificate", e))?;
        params.distinguished_name.push(DnType::CommonName, stem);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().map_err(|e| err("generate a key", e))?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| err("sign a certificate", e))?;
        let pair = CertPair {
            cert: dir.join(format!("{stem}.pem")),
            key: dir.join(format!("{stem}-key.pem")),
        };
        write(&pair.cert, &cert.pem())?;
        write(&pair.key, &key.serialize_pem())?;
        Ok(pair)
    }

    /// A server certificate for `127.0.0.1` and `localhost`, as `dir/<stem>.pem` and
    /// `dir/<stem>-key.pem`.
    ///
    /// # Errors
    /// Key generation or file writing failed.
    pub fn server(&self, dir: &Path, stem: &str) -> Result<CertPair, Error> {
        let sans = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        self.issue(dir, stem, sans, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate with common name `stem`.
    ///
    /// # Errors
    /// Key generation or file writing failed.
    pub fn client(&self, dir: &Path, stem: &str) -> Result<CertPair, Error> {
        self.issue(dir, stem, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth)
    }
}
