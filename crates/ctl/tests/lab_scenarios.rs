//! Every lab scenario under `examples/*/scenario.yaml` runs with real agents and real packets,
//! and every probe agrees with its expectation and with `tortie trace`.

use std::path::PathBuf;
use std::process::Command;

fn scenarios() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/")
        .flatten()
        .map(|e| e.path().join("scenario.yaml"))
        .filter(|p| p.exists())
        .collect();
    out.sort();
    out
}

#[test]
fn every_lab_scenario_is_enforced_as_expected_and_as_traced() {
    let list = scenarios();
    assert!(!list.is_empty(), "no scenarios found");
    for path in list {
        let out = Command::new(env!("CARGO_BIN_EXE_tortie"))
            .args(["lab", "run"])
            .arg(&path)
            .output()
            .expect("tortie runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        println!("{stdout}");
        assert!(
            out.status.success(),
            "{}:\n{stdout}\n{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        // The matrix really has rows, each agreeing.
        let rows = stdout.lines().filter(|l| l.ends_with(" ok")).count();
        assert!(rows >= 5, "{stdout}");
        assert!(!stdout.contains("MISMATCH"), "{stdout}");
    }
}
