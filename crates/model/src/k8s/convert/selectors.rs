//! Kubernetes `LabelSelector` -> Calico selector text (Calico's `k8sSelectorToCalico`).

use super::{LABEL_ORCHESTRATOR, ORCHESTRATOR_K8S};
use crate::meta::LabelSelector;

/// What a label selector selects, which decides the orchestrator term and the empty form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorTarget {
    /// Pods: always starts with `projectcalico.org/orchestrator == 'k8s'`.
    Pod,
    /// Namespaces: no orchestrator term; nil is `""`, empty is `all()`.
    Namespace,
}

/// Converts a label selector to Calico's selector text, byte for byte as Calico prints it.
#[must_use]
pub fn label_selector_to_calico(sel: Option<&LabelSelector>, target: SelectorTarget) -> String {
    let mut terms: Vec<String> = Vec::new();
    if target == SelectorTarget::Pod {
        terms.push(format!("{LABEL_ORCHESTRATOR} == '{ORCHESTRATOR_K8S}'"));
    }
    let Some(sel) = sel else {
        return terms.join(" && ");
    };
    let labels = sel.match_labels.as_ref().filter(|m| !m.is_empty());
    let exprs = sel.match_expressions.as_deref().unwrap_or_default();
    if target == SelectorTarget::Namespace && labels.is_none() && exprs.is_empty() {
        return "all()".to_string();
    }
    // A BTreeMap iterates in key order, as Calico sorts the keys.
    for (k, v) in labels.into_iter().flatten() {
        terms.push(format!("{k} == '{v}'"));
    }
    for e in exprs {
        let values = e.values.as_deref().unwrap_or_default().join("', '");
        match e.operator.as_str() {
            "In" => terms.push(format!("{} in {{ '{values}' }}", e.key)),
            "NotIn" => terms.push(format!("{} not in {{ '{values}' }}", e.key)),
            "Exists" => terms.push(format!("has({})", e.key)),
            "DoesNotExist" => terms.push(format!("! has({})", e.key)),
            // Calico skips operators it does not know.
            _ => {}
        }
    }
    terms.join(" && ")
}
