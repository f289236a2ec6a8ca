//! The agent's status as a small JSON file, replaced atomically, so that tools (the lab, an
//! operator) can see which revision is enforced without scraping metrics.

use std::path::Path;

use serde::Serialize;

/// What the agent last did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The node.
    pub node: String,
    /// The datastore revision the model reflects.
    pub revision: u64,
    /// The datastore revision whose rules are in the kernel.
    pub programmed_revision: u64,
    /// Whether the agent is in sync with the datastore.
    pub ready: bool,
    /// Chains in the table.
    pub chains: usize,
    /// Rules in the table.
    pub rules: usize,
    /// Set and map elements in the table.
    pub elements: usize,
    /// The last error, if the last attempt failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Status {
    /// Writes the file (to a temporary name, then renamed over the old one).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, path)
    }

    /// Reads a status file.
    ///
    /// # Errors
    /// The file is missing or not a status.
    pub fn read(path: &Path) -> Result<serde_json::Value, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
}
