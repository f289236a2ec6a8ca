//! Event stream to position-carrying documents.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, Span};

use super::node::{Node, Pos, ScalarStyle, Value};

/// Aliases expand by copying; this bounds the work a hostile file can cause ("billion laughs").
const MAX_NODES: usize = 2_000_000;

/// A document that is not well-formed YAML.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SyntaxError {
    /// Where the problem was found.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.pos.line, self.pos.col
        )
    }
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

/// Parses a YAML or JSON stream into its non-empty documents, in order.
///
/// # Errors
/// A [`SyntaxError`] with the position of the first problem: bad syntax, a duplicate mapping
/// key, a key that is not a scalar, an unknown alias, or a document that expands too much.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| SyntaxError {
            pos: Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            message: e.info().to_string(),
        })?;
        builder.on_event(event, &span)?;
    }
    Ok(builder.documents)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        pos: Pos,
        anchor: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    nodes: usize,
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Scalar(..) => 0,
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| count_nodes(k) + count_nodes(v))
            .sum(),
    }
}

impl Builder {
    fn on_event(&mut self, event: Event<'_>, span: &Span) -> Result<(), SyntaxError> {
        let pos = pos_of(span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(()),
            Event::DocumentStart(_) => {
                self.anchors.clear();
                Ok(())
            }
            Event::DocumentEnd => Ok(()),
            Event::Scalar(text, style, anchor, tag) => {
                // A `!!str` tag makes any scalar a string; other tags are ignored as Go does.
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let style = match style {
                    SaphyrStyle::Plain if !is_str_tag => ScalarStyle::Plain,
                    _ => ScalarStyle::Quoted,
                };
                let node = Node {
                    value: Value::Scalar(text.into_owned(), style),
                    pos,
                };
                self.finish(node, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    pos,
                    anchor,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { items, pos, anchor }) => self.finish(
                    Node {
                        value: Value::Seq(items),
                        pos,
                    },
                    anchor,
                ),
                _ => Err(SyntaxError {
                    pos,
                    message: "unbalanced sequence end".into(),
                }),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    entries,
                    pos,
                    anchor,
                    ..
                }) => self.finish(
                    Node {
                        value: Value::Map(entries),
                        pos,
                    },
                    anchor,
                ),
                _ => Err(SyntaxError {
                    pos,
                    message: "unbalanced mapping end".into(),
                }),
            },
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(SyntaxError {
                        pos,
                        message: "alias to an unknown anchor".into(),
                    });
                };
                let mut node = target.clone();
                node.pos = pos;
                self.nodes += count_nodes(&node);
                self.finish(node, 0)
            }
        }
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), SyntaxError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(SyntaxError {
                pos: node.pos,
                message: format!("document expands to more than {MAX_NODES} nodes (alias bomb?)"),
            });
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                // Empty documents (a bare `---`, or only comments) are skipped, as calicoctl does.
                if !node.is_null() {
                    self.documents.push(node);
                }
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let Value::Scalar(key, _) = &node.value else {
                        return Err(SyntaxError {
                            pos: node.pos,
                            message: "mapping keys must be scalars".into(),
                        });
                    };
                    if entries.iter().any(|(k, _)| k.as_str() == Some(key)) {
                        return Err(SyntaxError {
                            pos: node.pos,
                            message: format!("duplicate key `{key}` in mapping"),
                        });
                    }
                    *pending_key = Some(node);
                    Ok(())
                }
                Some(key) => {
                    entries.push((key, node));
                    Ok(())
                }
            },
        }
    }
}
