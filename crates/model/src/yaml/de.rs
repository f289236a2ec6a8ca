//! A serde deserializer over [`Node`] that knows the field path and source position of every
//! value, so that any error says where it is.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::node::{Node, Pos, ScalarStyle, Value, is_null_text};
use super::path::FieldPath;

/// A document that does not fit the expected type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeError {
    /// The field the error is about (empty for the document root).
    pub path: FieldPath,
    /// Where that field is in the source.
    pub pos: Pos,
    /// What is wrong, in one sentence.
    pub message: String,
    located: bool,
}

impl DeError {
    fn new(message: String) -> DeError {
        DeError {
            path: FieldPath::root(),
            pos: Pos::default(),
            message,
            located: false,
        }
    }

    fn locate(mut self, path: &Path<'_>, pos: Pos) -> DeError {
        if !self.located {
            self.path = path.as_field_path();
            self.pos = pos;
            self.located = true;
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(msg.to_string())
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(format!(
            "expected {exp}, found {}",
            describe_unexpected(&unexp)
        ))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(format!(
            "invalid value {}: expected {exp}",
            describe_unexpected(&unexp)
        ))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut msg = format!("unknown field `{field}` (not recognized, or in the wrong location)");
        if let Some(s) = suggest(field, expected) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        } else if !expected.is_empty() && expected.len() <= 12 {
            msg.push_str(&format!("; expected one of {}", quote_list(expected)));
        }
        DeError::new(msg)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut msg = format!(
            "unknown value `{variant}`; expected one of {}",
            quote_list(expected)
        );
        if let Some(s) = suggest(variant, expected) {
            msg.push_str(&format!(" (did you mean `{s}`?)"));
        }
        DeError::new(msg)
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(format!("missing required field `{field}`"))
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(format!("field `{field}` is given twice"))
    }
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_unexpected(u: &de::Unexpected<'_>) -> String {
    match u {
        de::Unexpected::Str(s) => format!("the string \"{s}\""),
        de::Unexpected::Seq => "a list".to_string(),
        de::Unexpected::Map => "a mapping".to_string(),
        de::Unexpected::Unit | de::Unexpected::Option => "null".to_string(),
        other => other.to_string(),
    }
}

/// The closest expected name: same letters in another case, or at most two edits away.
fn suggest<'e>(found: &str, expected: &[&'e str]) -> Option<&'e str> {
    if let Some(same) = expected.iter().find(|e| e.eq_ignore_ascii_case(found)) {
        return Some(same);
    }
    expected
        .iter()
        .map(|e| (edit_distance(found, e), *e))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, e)| e)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Deserializes a typed value from a node.
///
/// # Errors
/// The first mismatch between the node and the type, with its field path and position.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        path: Path::ROOT,
    })
}

#[derive(Clone, Copy)]
struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    seg: Seg<'p>,
}

#[derive(Clone, Copy)]
enum Seg<'p> {
    Root,
    Key(&'p str),
    Index(usize),
}

impl<'p> Path<'p> {
    const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    fn as_field_path(&self) -> FieldPath {
        let base = self
            .parent
            .map_or_else(FieldPath::root, Path::as_field_path);
        match self.seg {
            Seg::Root => base,
            Seg::Key(k) => base.key(k),
            Seg::Index(i) => base.index(i),
        }
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Scalar(t, ScalarStyle::Plain) if is_null_text(t) => "null".to_string(),
        Value::Scalar(t, ScalarStyle::Plain) if t.len() <= 40 => format!("`{t}`"),
        Value::Scalar(t, _) if t.len() <= 40 => format!("the string \"{t}\""),
        Value::Scalar(..) => "a string".to_string(),
        Value::Seq(_) => "a list".to_string(),
        Value::Map(_) => "a mapping".to_string(),
    }
}

/// YAML 1.1 booleans, as go-yaml v2 reads them.
fn plain_bool(t: &str) -> Option<bool> {
    match t {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

enum Int {
    Pos(u64),
    Neg(i64),
}

fn plain_int(t: &str) -> Option<Int> {
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        u64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    if neg {
        i64::try_from(magnitude).ok().map(|m| Int::Neg(-m))
    } else {
        Some(Int::Pos(magnitude))
    }
}

fn plain_float(t: &str) -> Option<f64> {
    match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = t.trim_start_matches(['+', '-']);
    let looks_numeric = body
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if looks_numeric { t.parse().ok() } else { None }
}

struct NodeDe<'a, 'p> {
    node: &'a Node,
    path: Path<'p>,
}

impl<'a> NodeDe<'a, '_> {
    fn fail<T>(&self, expected: &str) -> Result<T, DeError> {
        Err(DeError::new(format!(
            "expected {expected}, found {}",
            describe(self.node)
        ))
        .locate(&self.path, self.node.pos))
    }

    fn plain(&self) -> Option<&'a str> {
        match &self.node.value {
            Value::Scalar(t, ScalarStyle::Plain) => Some(t),
            _ => None,
        }
    }

    fn at<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.locate(&self.path, self.node.pos))
    }

    fn integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(plain_int) {
            Some(Int::Pos(n)) => self.at(visitor.visit_u64(n)),
            Some(Int::Neg(n)) => self.at(visitor.visit_i64(n)),
            None => self.fail("an integer"),
        }
    }
}

macro_rules! integer_methods {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.integer(visitor)
        }
    )*};
}

impl<'a> de::Deserializer<'a> for NodeDe<'a, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Scalar(t, ScalarStyle::Quoted) => visitor.visit_borrowed_str(t),
            Value::Scalar(t, ScalarStyle::Plain) => {
                if is_null_text(t) {
                    visitor.visit_unit()
                } else if let Some(b) = plain_bool(t) {
                    visitor.visit_bool(b)
                } else if let Some(i) = plain_int(t) {
                    match i {
                        Int::Pos(n) => visitor.visit_u64(n),
                        Int::Neg(n) => visitor.visit_i64(n),
                    }
                } else if let Some(f) = plain_float(t) {
                    visitor.visit_f64(f)
                } else {
                    visitor.visit_borrowed_str(t)
                }
            }
            Value::Seq(items) => visitor.visit_seq(SeqDe {
                items,
                next: 0,
                path: &self.path,
            }),
            Value::Map(entries) => visitor.visit_map(MapDe::new(entries, &self.path)),
        };
        self.at(r)
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(plain_bool) {
            Some(b) => self.at(visitor.visit_bool(b)),
            None => self.fail("a boolean (true or false)"),
        }
    }

    integer_methods!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(plain_float) {
            Some(f) => self.at(visitor.visit_f64(f)),
            None => self.fail("a number"),
        }
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Scalar(t, ScalarStyle::Plain) if is_null_text(t) => {
                self.at(visitor.visit_borrowed_str(""))
            }
            Value::Scalar(t, _) => self.at(visitor.visit_borrowed_str(t)),
            _ => self.fail("a string"),
        }
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.at(visitor.visit_none())
        } else {
            let (node, path) = (self.node, self.path);
            NodeDe { node, path }.at(visitor.visit_some(NodeDe { node, path }))
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.at(visitor.visit_unit())
        } else {
            self.fail("null")
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        NodeDe { node, path }.at(visitor.visit_newtype_struct(NodeDe { node, path }))
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Seq(items) => self.at(visitor.visit_seq(SeqDe {
                items,
                next: 0,
                path: &self.path,
            })),
            _ if self.node.is_null() => self.at(visitor.visit_seq(SeqDe {
                items: &[],
                next: 0,
                path: &self.path,
            })),
            _ => self.fail("a list"),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Map(entries) => self.at(visitor.visit_map(MapDe::new(entries, &self.path))),
            _ if self.node.is_null() => self.at(visitor.visit_map(MapDe::new(&[], &self.path))),
            _ => self.fail("a mapping"),
        }
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Scalar(..) => {
                let (node, path) = (self.node, self.path);
                self.at(visitor.visit_enum(EnumDe {
                    variant: node,
                    content: None,
                    path,
                }))
            }
            Value::Map(entries) if entries.len() == 1 => {
                let (k, v) = &entries[0];
                let path = self.path;
                self.at(visitor.visit_enum(EnumDe {
                    variant: k,
                    content: Some(v),
                    path,
                }))
            }
            _ if variants.is_empty() => self.fail("a single value"),
            _ => self.fail(&format!("one of {}", quote_list(variants))),
        }
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a, 'p> {
    items: &'a [Node],
    next: usize,
    path: &'p Path<'p>,
}

impl<'a> de::SeqAccess<'a> for SeqDe<'a, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.get(self.next) else {
            return Ok(None);
        };
        let path = Path {
            parent: Some(self.path),
            seg: Seg::Index(self.next),
        };
        self.next += 1;
        seed.deserialize(NodeDe { node, path }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

struct MapDe<'a, 'p> {
    entries: &'a [(Node, Node)],
    next: usize,
    path: &'p Path<'p>,
}

impl<'a, 'p> MapDe<'a, 'p> {
    fn new(entries: &'a [(Node, Node)], path: &'p Path<'p>) -> Self {
        MapDe {
            entries,
            next: 0,
            path,
        }
    }
}

impl<'a> de::MapAccess<'a> for MapDe<'a, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, _)) = self.entries.get(self.next) else {
            return Ok(None);
        };
        let path = Path {
            parent: Some(self.path),
            seg: Seg::Key(key.as_str().unwrap_or_default()),
        };
        // Keys are always strings, whatever they look like (`80:` is the key "80").
        let text = key.as_str().unwrap_or_default();
        let r: Result<K::Value, DeError> = seed.deserialize(text.into_deserializer());
        r.map(Some).map_err(|e| e.locate(&path, key.pos))
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, node) = &self.entries[self.next];
        self.next += 1;
        let path = Path {
            parent: Some(self.path),
            seg: Seg::Key(key.as_str().unwrap_or_default()),
        };
        seed.deserialize(NodeDe { node, path })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

struct EnumDe<'a, 'p> {
    variant: &'a Node,
    content: Option<&'a Node>,
    path: Path<'p>,
}

impl<'a, 'p> de::EnumAccess<'a> for EnumDe<'a, 'p> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'a>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let node = self.variant;
        let v = seed.deserialize(NodeDe {
            node,
            path: self.path,
        })?;
        Ok((v, self))
    }
}

impl<'a> de::VariantAccess<'a> for EnumDe<'a, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.content {
            None => Ok(()),
            Some(node) => Err(DeError::new(format!(
                "expected a plain value, found {}",
                describe(node)
            ))
            .locate(&self.path, node.pos)),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'a>>(self, seed: T) -> Result<T::Value, DeError> {
        let node = self.content.unwrap_or(self.variant);
        seed.deserialize(NodeDe {
            node,
            path: self.path,
        })
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        let node = self.content.unwrap_or(self.variant);
        de::Deserializer::deserialize_seq(
            NodeDe {
                node,
                path: self.path,
            },
            visitor,
        )
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.content.unwrap_or(self.variant);
        de::Deserializer::deserialize_map(
            NodeDe {
                node,
                path: self.path,
            },
            visitor,
        )
    }
}
