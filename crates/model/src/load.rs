//! Loading manifests: a YAML or JSON stream becomes objects that remember where they came from.
//!
//! A stream may hold several documents (`---`), a top-level list of objects, or `List` /
//! `<Kind>List` objects with `items`; each object becomes one [`Loaded`] with its own origin.
//! Nothing here reads files: callers pass the text and a name for it.

use std::fmt;

use crate::resource::{Kind, Resource};
use crate::validate::{Report, Severity, Violation};
use crate::yaml::{DeError, FieldPath, Node, Pos, SyntaxError, Value, parse_stream};

/// Where an object came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// The file name as given (`-` for stdin).
    pub file: String,
    /// 1-based document index in the stream.
    pub document: usize,
    /// 0-based index in a list (`items` or a top-level sequence), if the object came from one.
    pub item: Option<usize>,
    /// 1-based line where the object starts.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Why a document is not a usable object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The document is a scalar or list where an object was expected.
    #[error("expected an object with apiVersion and kind, found {found}")]
    NotAnObject {
        /// What was found.
        found: &'static str,
    },
    /// `apiVersion` or `kind` is missing or not a string.
    #[error("missing `{field}`: every object needs apiVersion and kind")]
    MissingTypeField {
        /// The missing field.
        field: &'static str,
    },
    /// A Calico v1/v2-era document (calicoctl 1.x format).
    #[error(
        "`apiVersion: {api_version}` with `kind: {kind}` is the legacy Calico v1 API format (calicoctl 1.x); \
         rewrite it as `apiVersion: projectcalico.org/v3`{hint}"
    )]
    Legacy {
        /// The apiVersion found.
        api_version: String,
        /// The kind found.
        kind: String,
        /// Which v3 kind to use.
        hint: String,
    },
    /// A kind Tortie does not know, or a known kind under the wrong apiVersion.
    #[error("unknown kind `{kind}` for apiVersion `{api_version}`{hint}")]
    UnknownKind {
        /// The apiVersion found.
        api_version: String,
        /// The kind found.
        kind: String,
        /// A suggestion, possibly empty.
        hint: String,
    },
    /// The object does not fit its kind's schema (every mismatch found, in order).
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Shape(Vec<DeError>),
}

impl LoadError {
    /// The field the error is about, if any.
    #[must_use]
    pub fn path(&self) -> FieldPath {
        match self {
            LoadError::Shape(e) => e.first().map(|e| e.path.clone()).unwrap_or_default(),
            LoadError::MissingTypeField { field } => FieldPath::root().key(field),
            LoadError::Legacy { .. } | LoadError::UnknownKind { .. } => {
                FieldPath::root().key("kind")
            }
            LoadError::NotAnObject { .. } => FieldPath::root(),
        }
    }
}

/// One object of a stream, loaded or not.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Where it came from.
    pub origin: Origin,
    /// The object as written (for positions of fields).
    pub node: Node,
    /// The typed object, or why there is none.
    pub result: Result<Resource, LoadError>,
}

impl Loaded {
    /// The source line of a field of this object (its nearest existing ancestor if the field is
    /// absent).
    #[must_use]
    pub fn line_of(&self, path: &FieldPath) -> usize {
        self.node.position_of(path).line
    }

    /// `kind/name` as written, even when the object failed to load.
    #[must_use]
    pub fn label(&self) -> String {
        let kind = self.node.get("kind").and_then(Node::as_str).unwrap_or("?");
        let meta = self.node.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("");
        match meta.and_then(|m| m.get("namespace")).and_then(Node::as_str) {
            Some(ns) if !ns.is_empty() => format!("{kind}/{ns}/{name}"),
            _ => format!("{kind}/{name}"),
        }
    }

    /// Every finding for this object: the load error, or validation results.
    #[must_use]
    pub fn check(&self) -> Vec<Violation> {
        match &self.result {
            Err(LoadError::Shape(errors)) => errors
                .iter()
                .map(|e| Violation {
                    severity: Severity::Error,
                    path: e.path.clone(),
                    message: e.message.clone(),
                })
                .collect(),
            Err(e) => vec![Violation {
                severity: Severity::Error,
                path: e.path(),
                message: e.to_string(),
            }],
            Ok(r) => {
                let mut report = Report::default();
                crate::validate::validate(r, &mut report);
                report.violations
            }
        }
    }
}

/// Legacy Calico v1 kinds and their v3 successors.
const LEGACY_KINDS: [(&str, &str); 8] = [
    ("policy", "GlobalNetworkPolicy (or NetworkPolicy)"),
    ("profile", "Profile"),
    ("hostEndpoint", "HostEndpoint"),
    ("workloadEndpoint", "WorkloadEndpoint"),
    ("ipPool", "IPPool"),
    ("bgpPeer", "BGPPeer"),
    ("node", "Node"),
    ("tier", "Tier"),
];

fn kind_of(node: &Node) -> Result<Kind, LoadError> {
    let text = |field: &'static str| {
        node.get(field)
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(LoadError::MissingTypeField { field })
    };
    let api_version = text("apiVersion")?;
    let kind = text("kind")?;
    if let Some(k) = Kind::from_type(api_version, kind) {
        return Ok(k);
    }
    let legacy = LEGACY_KINDS.iter().find(|(k, _)| *k == kind);
    if let Some((_, successor)) =
        legacy.filter(|_| api_version == "v1" || api_version.starts_with("projectcalico.org/"))
    {
        return Err(LoadError::Legacy {
            api_version: api_version.into(),
            kind: kind.into(),
            hint: format!(
                " and `kind: {successor}` (capitalised actions such as `Allow`, protocols such as `TCP`)"
            ),
        });
    }
    let same_name: Vec<&Kind> = Kind::ALL
        .iter()
        .filter(|k| k.name().eq_ignore_ascii_case(kind))
        .collect();
    let hint = match same_name.as_slice() {
        [] => String::new(),
        [k] if k.name() == kind => format!("; `{kind}` is `apiVersion: {}`", k.api_version()),
        [k] => format!(
            "; did you mean `kind: {}` (`apiVersion: {}`)?",
            k.name(),
            k.api_version()
        ),
        many => format!(
            "; `{kind}` exists as {}",
            many.iter()
                .map(|k| format!("`{}`", k.api_version()))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    };
    Err(LoadError::UnknownKind {
        api_version: api_version.into(),
        kind: kind.into(),
        hint,
    })
}

fn node_kind_name(node: &Node) -> &'static str {
    match node.value {
        Value::Scalar(..) => "a scalar",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

/// `List` and `<Kind>List` objects carry their objects in `items`.
fn is_list(node: &Node) -> bool {
    let kind = node.get("kind").and_then(Node::as_str).unwrap_or("");
    node.get("items").is_some() && (kind == "List" || kind.ends_with("List"))
}

/// At most this many schema errors are reported per object.
const MAX_SHAPE_ERRORS: usize = 20;

/// Deserializes, and on a mismatch removes the offending field and tries again, so that one
/// run reports every unknown or mistyped field of an object rather than only the first.
fn deserialize_all_errors(kind: Kind, node: &Node) -> Result<Resource, LoadError> {
    let mut scratch: Option<Node> = None;
    let mut errors: Vec<DeError> = Vec::new();
    let mut removed: Vec<FieldPath> = Vec::new();
    loop {
        match Resource::from_node(kind, scratch.as_ref().unwrap_or(node)) {
            Ok(r) if errors.is_empty() => return Ok(r),
            Ok(_) => return Err(LoadError::Shape(errors)),
            Err(e) => {
                // A "missing field" caused by an earlier removal is not news.
                let consequence = removed.iter().any(|p| {
                    *p == e.path
                        || (e.message.starts_with("missing required field")
                            && p.segments().starts_with(e.path.segments()))
                });
                if !consequence {
                    errors.push(e.clone());
                }
                let work = scratch.get_or_insert_with(|| node.clone());
                if consequence
                    || errors.len() >= MAX_SHAPE_ERRORS
                    || e.path.is_root()
                    || !work.remove_at(&e.path)
                {
                    return Err(LoadError::Shape(errors));
                }
                removed.push(e.path);
            }
        }
    }
}

fn load_object(node: &Node, origin: Origin) -> Loaded {
    let result = match &node.value {
        Value::Map(_) => kind_of(node).and_then(|k| deserialize_all_errors(k, node)),
        _ => Err(LoadError::NotAnObject {
            found: node_kind_name(node),
        }),
    };
    Loaded {
        origin,
        node: node.clone(),
        result,
    }
}

/// Loads every object of a YAML or JSON stream.
///
/// # Errors
/// A [`SyntaxError`] if the text is not well-formed YAML; then nothing from the file is used.
pub fn load_str(text: &str, file: &str) -> Result<Vec<Loaded>, SyntaxError> {
    let documents = parse_stream(text)?;
    let mut out = Vec::new();
    for (d, doc) in documents.iter().enumerate() {
        let origin = |item: Option<usize>, pos: Pos| Origin {
            file: file.to_string(),
            document: d + 1,
            item,
            line: pos.line,
        };
        let items: Option<&[Node]> = match &doc.value {
            Value::Seq(items) => Some(items),
            Value::Map(_) if is_list(doc) => match doc.get("items").map(|n| &n.value) {
                Some(Value::Seq(items)) => Some(items),
                _ => Some(&[]),
            },
            _ => None,
        };
        match items {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    out.push(load_object(item, origin(Some(i), item.pos)));
                }
            }
            None => out.push(load_object(doc, origin(None, doc.pos))),
        }
    }
    Ok(out)
}
