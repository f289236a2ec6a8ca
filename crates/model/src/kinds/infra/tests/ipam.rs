//! Tests of `IPPool`, `IPReservation` and `IPAMConfiguration`.

use serde_json::json;

use super::*;

const IPPOOL: &str = "\
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: my.ippool-1
spec:
  cidr: 10.1.0.0/16
  ipipMode: CrossSubnet
  natOutgoing: true
  disabled: false
  nodeSelector: all()
  allowedUses:
    - Workload
    - Tunnel
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv6-ippool
spec:
  cidr: 'fd00:10:244::/64'
  blockSize: 122
  vxlanMode: Always
  ipipMode: Never
  disableBGPExport: true
  namespaceSelector: environment == 'prod'
  assignmentMode: Manual
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: lb-pool
spec:
  cidr: 203.0.113.0/24
  blockSize: 31
  allowedUses: [LoadBalancer]
  nodeSelector: all()
status:
  conditions:
  - type: Allocatable
    status: 'True'
    reason: OK
";

#[test]
fn ip_pools_load_and_validate() {
    let pools: Vec<Object<IPPoolSpec>> = load_all(IPPOOL);
    assert_eq!(pools.len(), 3);
    assert_eq!(pools[0].spec.ipip_mode, "CrossSubnet");
    assert!(pools[0].spec.nat_outgoing);
    assert_eq!(pools[1].spec.block_size, 122);
    assert_eq!(pools[1].spec.assignment_mode.as_deref(), Some("Manual"));
    for pool in &pools {
        assert_eq!(
            check(&pool.spec, validate_ip_pool_spec),
            (vec![], vec![]),
            "{}",
            pool.metadata.name
        );
    }
    round_trip(
        &pools[1],
        &json!({
            "apiVersion": "projectcalico.org/v3",
            "kind": "IPPool",
            "metadata": {"name": "default-ipv6-ippool"},
            "spec": {
                "cidr": "fd00:10:244::/64",
                "vxlanMode": "Always",
                "ipipMode": "Never",
                "disableBGPExport": true,
                "blockSize": 122,
                "namespaceSelector": "environment == 'prod'",
                "assignmentMode": "Manual"
            }
        }),
    );
}

#[test]
fn ip_pool_v1_fields_load_but_are_refused() {
    let text = "\
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: old}
spec:
  cidr: 10.2.0.0/16
  ipip: {enabled: true, mode: always}
  nat-outgoing: true
";
    let pool: Object<IPPoolSpec> = load(text);
    assert!(pool.spec.nat_outgoing_v1);
    assert_eq!(
        error_paths(&pool.spec, validate_ip_pool_spec),
        ["spec.ipip", "spec.nat-outgoing"]
    );
    let v = serde_json::to_value(&pool.spec).expect("serializes");
    assert_eq!(v["nat-outgoing"], json!(true));
}

#[test]
fn ip_pool_validation_errors() {
    let pool = |yaml: &str| {
        let text = format!(
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {{name: p}}\nspec:\n{yaml}"
        );
        load::<IPPoolSpec>(&text).spec
    };
    let errs = |yaml: &str| check(&pool(yaml), validate_ip_pool_spec).0;

    assert_eq!(
        errs("  cidr: ''\n"),
        [(
            "spec.cidr".to_string(),
            "the pool's CIDR must be given".to_string()
        )]
    );
    assert_eq!(errs("  cidr: 10.1.2.3/16\n")[0].0, "spec.cidr");
    assert_eq!(
        errs("  cidr: 'fd00::/64'\n  ipipMode: Always\n"),
        [(
            "spec.ipipMode".to_string(),
            "IP-in-IP is not supported on an IPv6 pool; use `Never`".to_string()
        )]
    );
    assert_eq!(
        errs("  cidr: 10.0.0.0/8\n  ipipMode: Always\n  vxlanMode: Always\n")[0].0,
        "spec.ipipMode"
    );
    assert_eq!(
        errs("  cidr: 10.0.0.0/8\n  blockSize: 19\n")[0].0,
        "spec.blockSize"
    );
    assert_eq!(
        errs("  cidr: 'fd00::/64'\n  blockSize: 26\n")[0].0,
        "spec.blockSize"
    );
    assert_eq!(errs("  cidr: 10.0.0.0/28\n")[0].0, "spec.cidr");
    assert!(errs("  cidr: 10.0.0.0/28\n  disabled: true\n").is_empty());
    assert_eq!(
        errs("  cidr: 169.254.0.0/20\n")[0].1,
        "`169.254.0.0/20` overlaps the link-local range `169.254.0.0/16`"
    );
    assert_eq!(
        errs("  cidr: 10.0.0.0/8\n  vxlanMode: always\n")[0].0,
        "spec.vxlanMode"
    );
    assert_eq!(
        errs("  cidr: 10.0.0.0/8\n  allowedUses: [Workload, LoadBalancer]\n")[0].0,
        "spec.allowedUses[0]"
    );
    assert_eq!(
        errs("  cidr: 10.0.0.0/8\n  allowedUses: [Pods]\n")[0].0,
        "spec.allowedUses[0]"
    );
    let lb = errs(
        "  cidr: 10.0.0.0/8\n  allowedUses: [LoadBalancer]\n  ipipMode: Always\n  \
         disableBGPExport: true\n  nodeSelector: \"zone == 'a'\"\n",
    );
    let paths: Vec<_> = lb.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.ipipMode",
            "spec.disableBGPExport",
            "spec.nodeSelector"
        ]
    );
    assert_eq!(
        errs("  cidr: 10.0.0.0/8\n  nodeSelector: 'a =='\n")[0].0,
        "spec.nodeSelector"
    );
    assert_eq!(
        errs("  cidr: 10.0.0.0/8\n  assignmentMode: Sometimes\n")[0].0,
        "spec.assignmentMode"
    );
}

#[test]
fn ip_pool_unknown_field() {
    let text = IPPOOL.replacen("  natOutgoing: true", "  natOutGoing: true", 1);
    let (path, msg) = load_error::<IPPoolSpec>(&text);
    assert_eq!(path, "spec.natOutGoing");
    assert!(msg.contains("did you mean `natOutgoing`?"), "{msg}");
}

#[test]
fn ip_reservation() {
    let text = "\
apiVersion: projectcalico.org/v3
kind: IPReservation
metadata:
  name: my-ipreservation-1
spec:
  reservedCIDRs:
    - 192.168.2.3
    - 10.0.2.3/32
    - cafe:f00d::/123
";
    let res: Object<IPReservationSpec> = load(text);
    assert_eq!(res.spec.reserved_cidrs.len(), 3);
    assert_eq!(
        check(&res.spec, validate_ip_reservation_spec),
        (vec![], vec![])
    );
    let v = serde_json::to_value(&res.spec).expect("serializes");
    assert_eq!(
        v,
        json!({"reservedCIDRs": ["192.168.2.3", "10.0.2.3/32", "cafe:f00d::/123"]})
    );
    let bad = IPReservationSpec {
        reserved_cidrs: vec!["10.0.0.0/8".into(), "10.0.0.0/40".into()],
    };
    assert_eq!(
        error_paths(&bad, validate_ip_reservation_spec),
        ["spec.reservedCIDRs[1]"]
    );
    let text = text.replace("reservedCIDRs", "reservedCidrs");
    assert_eq!(
        load_error::<IPReservationSpec>(&text).0,
        "spec.reservedCidrs"
    );
}

#[test]
fn ipam_configuration() {
    let text = "\
apiVersion: projectcalico.org/v3
kind: IPAMConfiguration
metadata:
  name: default
spec:
  strictAffinity: false
  maxBlocksPerHost: 4
  kubeVirtVMAddressPersistence: Enabled
";
    let cfg: Object<IPAMConfigurationSpec> = load(text);
    assert_eq!(cfg.spec.max_blocks_per_host, 4);
    assert_eq!(
        check(&cfg.spec, validate_ipam_configuration_spec),
        (vec![], vec![])
    );
    assert_eq!(
        serde_json::to_value(&cfg.spec).expect("serializes"),
        json!({
            "strictAffinity": false,
            "maxBlocksPerHost": 4,
            "autoAllocateBlocks": false,
            "kubeVirtVMAddressPersistence": "Enabled"
        })
    );
    let bad = IPAMConfigurationSpec {
        max_blocks_per_host: -1,
        kube_virt_vm_address_persistence: Some("On".into()),
        ..IPAMConfigurationSpec::default()
    };
    assert_eq!(
        error_paths(&bad, validate_ipam_configuration_spec),
        ["spec.maxBlocksPerHost", "spec.kubeVirtVMAddressPersistence"]
    );
}
