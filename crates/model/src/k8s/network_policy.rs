//! `networking.k8s.io/v1` NetworkPolicy (placeholder).

use serde::{Deserialize, Serialize};

macro_rules! placeholder {
    ($($name:ident)*) => {$(
        /// Placeholder.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {}
    )*};
}

placeholder!(NetworkPolicy NetworkPolicyIngressRule NetworkPolicyEgressRule);
