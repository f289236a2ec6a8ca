//! Sorting etcd client errors by what they allow: trying another endpoint, trying again later,
//! or giving up; and wording them so the user sees what to check.

use tortie_datastore::StoreError;

/// How a failed attempt bears on what to do next.
pub(crate) enum Failure {
    /// The request never reached a server: try the next endpoint.
    NotSent(String),
    /// The member refused it before doing anything (no leader): try elsewhere, later.
    Refused(String),
    /// It may have been applied: retry only reads.
    Unknown(String),
    /// Retrying will not help.
    Fatal(StoreError),
}

/// `first`, then every source of `e` that adds something.
fn chain(first: String, e: &dyn std::error::Error) -> String {
    let mut text = first;
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        // tonic's wrapper says nothing the message does not.
        if more != "transport error" && !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// Sorts an etcd client error.
pub(crate) fn classify(e: &etcd_client::Error) -> Failure {
    use tonic::Code;
    match e {
        etcd_client::Error::GRpcStatus(status) => {
            let message = status.message();
            let text = chain(message.to_string(), status);
            match status.code() {
                _ if is_tls(&text) => Failure::NotSent(tls_hint(&text)),
                Code::Unavailable if message.contains("no leader") => Failure::Refused(text),
                Code::Unavailable if !message.starts_with("etcdserver") && is_connect(&text) => {
                    Failure::NotSent(text)
                }
                // hyper cancels a request it never started to write when it finds the
                // connection closed (the member just went away).
                Code::Cancelled if text.contains("connection closed") => Failure::NotSent(text),
                Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
                    Failure::Unknown(text)
                }
                Code::InvalidArgument if message.contains("too many operations") => {
                    Failure::Fatal(StoreError::Backend(format!(
                        "the transaction has more operations than etcd's --max-txn-ops allows ({message})"
                    )))
                }
                Code::InvalidArgument if message.contains("authentication failed") => {
                    Failure::Fatal(StoreError::Backend(format!(
                        "etcd refused the credentials (etcdUsername, etcdPassword): {message}"
                    )))
                }
                Code::Unauthenticated | Code::PermissionDenied | Code::InvalidArgument
                    if message.contains("user name") || message.contains("permission") =>
                {
                    Failure::Fatal(StoreError::Backend(format!(
                        "etcd refused the request ({message}); check etcdUsername and etcdPassword"
                    )))
                }
                _ => Failure::Fatal(StoreError::Backend(format!("etcd: {message}"))),
            }
        }
        etcd_client::Error::TransportError(t) => {
            let text = chain(t.to_string(), t);
            Failure::NotSent(if is_tls(&text) { tls_hint(&text) } else { text })
        }
        etcd_client::Error::IoError(io) => Failure::NotSent(chain(io.to_string(), io)),
        other => Failure::Fatal(StoreError::Backend(format!("etcd client: {other}"))),
    }
}

/// A failure to open a connection (not a connection that broke while in use).
fn is_connect(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "tcp connect error",
        "error trying to connect",
        "connection refused",
        "dns error",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// A TLS failure, with what to check.
pub(crate) fn tls_hint(why: &str) -> String {
    format!("TLS failure: {why} (check etcdCACertFile, etcdCertFile and etcdKeyFile)")
}

/// A TLS failure: the connection never carried a request.
fn is_tls(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    ["certificate", "fatal alert", "handshake"]
        .iter()
        .any(|w| t.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: tonic::Status) -> Failure {
        classify(&etcd_client::Error::GRpcStatus(s))
    }

    #[test]
    fn failures_are_sorted_by_what_is_safe() {
        assert!(matches!(
            status(tonic::Status::unavailable("etcdserver: no leader")),
            Failure::Refused(_)
        ));
        assert!(matches!(
            status(tonic::Status::cancelled(
                "operation was canceled: connection closed"
            )),
            Failure::NotSent(_)
        ));
        assert!(matches!(
            status(tonic::Status::unavailable(
                "tcp connect error: Connection refused (os error 111)"
            )),
            Failure::NotSent(_)
        ));
        for ambiguous in [
            tonic::Status::unavailable("etcdserver: request timed out"),
            tonic::Status::unavailable("connection reset by peer"),
            tonic::Status::deadline_exceeded("deadline"),
        ] {
            assert!(matches!(status(ambiguous), Failure::Unknown(_)));
        }
        match status(tonic::Status::invalid_argument(
            "etcdserver: too many operations in txn request",
        )) {
            Failure::Fatal(StoreError::Backend(m)) => assert!(m.contains("--max-txn-ops"), "{m}"),
            _ => panic!("too many operations is final"),
        }
        match status(tonic::Status::unknown(
            "transport error: received fatal alert: BadCertificate",
        )) {
            Failure::NotSent(m) => assert!(m.starts_with("TLS failure"), "{m}"),
            _ => panic!("a TLS failure sent nothing"),
        }
    }
}
