//! The backend conformance suite against a real etcd: each check on a fresh single-member
//! etcd started by the test, with a separate client per connection.

use std::sync::{Arc, Mutex};

use tortie_datastore::Backend;
use tortie_datastore::testing::run_all;
use tortie_datastore_etcd::{EtcdBackend, EtcdSettings};
use tortie_testkit::etcd::EtcdCluster;

#[test]
fn etcd_backend_passes_the_suite() {
    // The etcd of the running check; replacing it stops the previous one.
    let current = Mutex::new(None);
    run_all(&|| {
        let cluster = EtcdCluster::single("suite").expect("etcd starts");
        let settings = EtcdSettings::new(cluster.endpoints());
        *current.lock().unwrap() = Some(cluster);
        Box::new(move || -> Arc<dyn Backend> {
            Arc::new(EtcdBackend::connect(&settings).expect("connect to etcd"))
        })
    });
}
