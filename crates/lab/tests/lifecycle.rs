//! Namespaces are owned: created with the lab, gone after it, even after a panic or a
//! failed start, and foreign ones are never adopted or deleted.

mod common;

use std::process::Command;

use common::{probe, two_nodes};
use tortie_lab::{Lab, LabError, Outcome, Proto, list_netns, sweep};

fn ip_netns(args: &[&str]) {
    let st = Command::new("ip").arg("netns").args(args).status().unwrap();
    assert!(st.success(), "ip netns {args:?}");
}

#[test]
fn drop_removes_everything_even_when_the_test_panics() {
    let spec = two_nodes();
    let prefix = spec.prefix.clone();
    let result = std::panic::catch_unwind(|| {
        let lab = Lab::up(&spec).unwrap();
        assert_eq!(
            list_netns(&prefix).unwrap().len(),
            5,
            "fabric, 2 nodes, 2 pods"
        );
        assert_eq!(
            lab.netns_of("default/web-a"),
            Some(lab.namespaces()[3].as_str())
        );
        // Servers are running (their sockets pin the namespaces until teardown stops them).
        let p = probe("default/web-a", "10.20.1.1", Proto::Tcp, 80);
        assert_eq!(lab.probe(&p), Outcome::Delivered);
        panic!("simulated test failure");
    });
    assert!(result.is_err());
    assert_eq!(list_netns(&prefix).unwrap(), Vec::<String>::new());
}

#[test]
fn down_reports_success_and_leaves_nothing() {
    let spec = two_nodes();
    let lab = Lab::up(&spec).unwrap();
    assert!(lab.node_netns("node-b").ends_with("-node-b"));
    lab.down().unwrap();
    assert!(list_netns(&spec.prefix).unwrap().is_empty());
}

#[test]
fn existing_netns_is_an_error_and_is_not_touched() {
    let spec = two_nodes();
    // The last namespace the lab would create, so the failure comes after the fabric
    // and nodes already exist and must be cleaned up again.
    let squatter = format!("{}-p1-default_web-b", spec.prefix);
    ip_netns(&["add", &squatter]);
    let err = Lab::up(&spec).unwrap_err();
    assert!(matches!(err, LabError::Command { .. }), "{err}");
    assert_eq!(list_netns(&spec.prefix).unwrap(), vec![squatter.clone()]);
    assert_eq!(sweep(&spec.prefix).unwrap(), vec![squatter]);
    assert!(list_netns(&spec.prefix).unwrap().is_empty());
}

#[test]
fn bad_specs_create_nothing() {
    let mut spec = two_nodes();
    spec.nodes[1].pods[0].host_iface = "cali0000000000a-too-long".into();
    let err = Lab::up(&spec).unwrap_err();
    assert!(matches!(err, LabError::Spec(_)), "{err}");
    assert!(list_netns(&spec.prefix).unwrap().is_empty());
    assert!(
        sweep("").is_err(),
        "an empty prefix must never match everything"
    );
}
