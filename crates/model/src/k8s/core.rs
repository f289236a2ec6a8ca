//! `v1` Namespace, Pod, Service, ServiceAccount (placeholder).

use serde::{Deserialize, Serialize};

macro_rules! placeholder {
    ($($name:ident)*) => {$(
        /// Placeholder.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {}
    )*};
}

placeholder!(Namespace Pod Service ServiceAccount);
