//! Calico kinds Tortie stores but does not act on, plus Node and WorkloadEndpoint (placeholder).

use serde::{Deserialize, Serialize};

macro_rules! placeholder {
    ($($name:ident)*) => {$(
        /// Placeholder.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {}
    )*};
}

placeholder!(NodeSpec WorkloadEndpointSpec IPPoolSpec IPReservationSpec BGPConfigurationSpec
    BGPPeerSpec BGPFilterSpec KubeControllersConfigurationSpec ClusterInformationSpec
    IPAMConfigurationSpec CalicoNodeStatusSpec);
