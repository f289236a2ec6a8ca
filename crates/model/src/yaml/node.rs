//! The position-carrying document tree.

/// A position in the source text: 1-based line and column, 0-based byte offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Unquoted: its type is inferred (`80`, `true`, `null`, `web`).
    Plain,
    /// Single- or double-quoted, or a block scalar: always a string.
    Quoted,
}

/// A node's content.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar with its source text.
    Scalar(String, ScalarStyle),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order; keys are scalars.
    Map(Vec<(Node, Node)>),
}

/// A value and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The content.
    pub value: Value,
    /// Where it starts in the source.
    pub pos: Pos,
}

impl Node {
    /// A plain null, empty scalar, `~` or `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(t, ScalarStyle::Plain) if is_null_text(t))
    }

    /// The scalar text, if this is a scalar.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(t, _) => Some(t),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node for `key` (its position is the line a field starts on).
    #[must_use]
    pub fn get_key(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, _)| k),
            _ => None,
        }
    }

    /// Walks a field path (`spec.ingress[0].ports`) and returns the position of the deepest node
    /// reached: a field's key position, or an item's position. Paths that leave the tree stop at
    /// the last node found, which is still the best line to show.
    #[must_use]
    pub fn position_of(&self, path: &super::FieldPath) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        for seg in path.segments() {
            match seg {
                super::Segment::Key(k) => match (node.get_key(k), node.get(k)) {
                    (Some(key), Some(value)) => {
                        pos = key.pos;
                        node = value;
                    }
                    _ => return pos,
                },
                super::Segment::Index(i) => match &node.value {
                    Value::Seq(items) if *i < items.len() => {
                        node = &items[*i];
                        pos = node.pos;
                    }
                    _ => return pos,
                },
            }
        }
        pos
    }
}

impl Node {
    /// Removes the field or item at `path`; returns whether something was removed.
    pub fn remove_at(&mut self, path: &super::FieldPath) -> bool {
        let Some((last, parents)) = path.segments().split_last() else {
            return false;
        };
        let mut node = self;
        for seg in parents {
            let next = match (seg, &mut node.value) {
                (super::Segment::Key(k), Value::Map(entries)) => entries
                    .iter_mut()
                    .find(|(key, _)| key.as_str() == Some(k))
                    .map(|(_, v)| v),
                (super::Segment::Index(i), Value::Seq(items)) => items.get_mut(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return false,
            }
        }
        match (last, &mut node.value) {
            (super::Segment::Key(k), Value::Map(entries)) => {
                let before = entries.len();
                entries.retain(|(key, _)| key.as_str() != Some(k));
                entries.len() != before
            }
            (super::Segment::Index(i), Value::Seq(items)) if *i < items.len() => {
                // Keep indexes of later items stable: replace with null rather than remove.
                items[*i].value = Value::Scalar(String::new(), ScalarStyle::Plain);
                true
            }
            _ => false,
        }
    }
}

impl Node {
    /// The node as untyped JSON under the YAML 1.2 core schema: only `true`/`false`, `null`
    /// and numbers are typed; every other plain scalar is a string (`y`, `yes`, `on` stay
    /// strings). For reading data files whose shape is not a Calico or Kubernetes type.
    #[must_use]
    pub fn to_json_core(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(t, ScalarStyle::Quoted) => J::String(t.clone()),
            Value::Scalar(t, ScalarStyle::Plain) => match t.as_str() {
                "true" | "True" | "TRUE" => J::Bool(true),
                "false" | "False" | "FALSE" => J::Bool(false),
                _ if is_null_text(t) => J::Null,
                _ => t
                    .parse::<i64>()
                    .map(J::from)
                    .or_else(|_| t.parse::<u64>().map(J::from))
                    .ok()
                    .or_else(|| {
                        t.parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite() && t.bytes().any(|b| b.is_ascii_digit()))
                            .and_then(|f| serde_json::Number::from_f64(f).map(J::Number))
                    })
                    .unwrap_or_else(|| J::String(t.clone())),
            },
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json_core).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json_core()))
                    .collect(),
            ),
        }
    }
}

pub(crate) fn is_null_text(t: &str) -> bool {
    matches!(t, "" | "~" | "null" | "Null" | "NULL")
}
