//! `tortie validate`: exit statuses, stdin, directories, and the one-line finding format.

mod common;

use common::tortie;

#[test]
fn valid_input_exits_zero_and_says_so() {
    let run = tortie(
        &[
            "validate",
            "-f",
            "examples/seeds/corrected/deny-nodeports.yaml",
        ],
        "",
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "1 object in 1 file: 0 errors, 0 warnings\n");
}

#[test]
fn invalid_input_exits_one_with_file_line_object_field_reason() {
    let doc = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: bad\nspec:\n  ingress:\n  - action: allow\n";
    let run = tortie(&["validate", "-f", "-"], doc);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim_end(),
        "-:7: GlobalNetworkPolicy/bad: spec.ingress[0].action: unknown value `allow`; expected one of `Allow`, `Deny`, `Log`, `Pass` (did you mean `Allow`?)"
    );
}

#[test]
fn every_error_of_a_multi_document_stream_is_reported() {
    let doc = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: prod}
spec:
  selector: app = 'x'
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: bad.tier}
spec: {order: 10}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: ok}
spec: {selector: all()}
";
    let run = tortie(&["validate", "-f", "-"], doc);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(lines[0].starts_with("-:5: NetworkPolicy/prod/a: spec.selector: invalid selector `app = 'x'`: expected `==`, found `=`"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("-:9: Tier/bad.tier: metadata.name: invalid tier name `bad.tier`"),
        "{}",
        lines[1]
    );
    assert!(
        run.stdout.starts_with("3 objects in 1 file: 2 errors"),
        "{}",
        run.stdout
    );
}

#[test]
fn legacy_documents_are_rejected_with_a_message_that_says_so() {
    let doc = "- apiVersion: v1\n  kind: policy\n  metadata: {name: old}\n  spec: {}\n";
    let run = tortie(&["validate", "-f", "-"], doc);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("legacy Calico v1 API format"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.starts_with("-:2: policy/old: kind:"),
        "{}",
        run.stderr
    );
}

#[test]
fn broken_yaml_is_a_resource_error_with_its_line() {
    let run = tortie(
        &["validate", "-f", "-"],
        "kind: Tier\nmetadata: {name: [x\n",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("-:"), "{}", run.stderr);
    assert!(run.stderr.contains("invalid YAML"), "{}", run.stderr);
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(tortie(&["validate"], "").code, 2);
    let missing = tortie(&["validate", "-f", "no/such/file.yaml"], "");
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read `no/such/file.yaml`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn directories_need_dash_r_for_subdirectories() {
    let shallow = tortie(&["validate", "-f", "examples/seeds"], "");
    assert_eq!(shallow.code, 0, "{}", shallow.stderr);
    assert!(
        shallow.stderr.contains("note: skipped directory"),
        "{}",
        shallow.stderr
    );
    assert!(
        shallow.stdout.starts_with("0 objects in 0 files"),
        "{}",
        shallow.stdout
    );
    let deep = tortie(&["validate", "-R", "-f", "examples/seeds"], "");
    assert_eq!(deep.code, 1, "as-published seeds are invalid");
    assert!(
        deep.stdout.starts_with("27 objects in 27 files"),
        "{}",
        deep.stdout
    );
}
