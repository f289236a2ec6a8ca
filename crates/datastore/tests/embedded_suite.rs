//! The backend conformance suite on the embedded (SQLite) backend, each check on a fresh
//! directory, with a separate connection per client.

use std::sync::Arc;

use tortie_datastore::testing::run_all;
use tortie_datastore::{Backend, Embedded};

#[test]
fn embedded_backend_passes_the_suite() {
    let dirs = std::sync::Mutex::new(Vec::new());
    run_all(&|| {
        let dir = std::env::temp_dir().join(format!(
            "tortie-suite-{}-{}",
            std::process::id(),
            dirs.lock().unwrap().len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dirs.lock().unwrap().push(dir.clone());
        Box::new(move || -> Arc<dyn Backend> {
            Arc::new(Embedded::open(&dir).expect("open store"))
        })
    });
    for d in dirs.into_inner().unwrap() {
        let _ = std::fs::remove_dir_all(d);
    }
}
