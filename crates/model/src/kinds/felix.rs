//! FelixConfiguration (placeholder until the full field inventory lands).

use serde::{Deserialize, Serialize};

/// `FelixConfigurationSpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FelixConfigurationSpec {}
