//! Where each YAML node sits in the source, by key path.
//!
//! serde gives values without positions, so the loader walks the YAML event
//! stream once more and records the line and column of every node under its
//! key path (`domains[1].servers[0]`). Validation errors then point at the
//! offending value, as a compiler would.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column in the inventory file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

/// Positions of the nodes of one YAML document, keyed by path.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    nodes: HashMap<String, Position>,
}

impl SpanIndex {
    /// Indexes `text`; a document that does not parse yields an empty index
    /// (serde reports the syntax error with its own position).
    pub fn build(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return SpanIndex::default();
        }
        SpanIndex {
            nodes: builder.nodes,
        }
    }

    /// The position of the node at `path`, or of its nearest indexed ancestor.
    pub fn locate(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(position) = self.nodes.get(path) {
                return Some(*position);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

enum Frame {
    Mapping { path: String, key: Option<String> },
    Sequence { path: String, index: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    nodes: HashMap<String, Position>,
}

impl Builder {
    /// Path of a node starting now, or `None` when the node is a mapping key.
    fn child_path(&mut self, event: &Event) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Sequence { path, index }) => {
                let child = format!("{path}[{index}]");
                *index += 1;
                Some(child)
            }
            Some(Frame::Mapping { path, key }) => match key.take() {
                Some(key) if path.is_empty() => Some(key),
                Some(key) => Some(format!("{path}.{key}")),
                None => {
                    // A key: remember it; complex keys get a placeholder.
                    *key = Some(match event {
                        Event::Scalar(value, ..) => value.clone(),
                        _ => "?".to_owned(),
                    });
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let position = Position {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match event {
            Event::Scalar(..) | Event::Alias(..) => {
                if let Some(path) = self.child_path(&event) {
                    self.nodes.entry(path).or_insert(position);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                // A collection used as a mapping key has no path of its own.
                let path = self.child_path(&event).unwrap_or_default();
                self.nodes.entry(path.clone()).or_insert(position);
                self.stack.push(match event {
                    Event::MappingStart(..) => Frame::Mapping { path, key: None },
                    _ => Frame::Sequence { path, index: 0 },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_nested_paths_with_one_based_positions() {
        let text = "ttl: 60\nservers:\n  - hostname: a.example\n    ipv4: [192.0.2.1, 192.0.2.2]\n";
        let index = SpanIndex::build(text);
        assert_eq!(index.locate("ttl"), Some(Position { line: 1, column: 6 }));
        assert_eq!(
            index.locate("servers[0].hostname"),
            Some(Position {
                line: 3,
                column: 15
            })
        );
        assert_eq!(
            index.locate("servers[0].ipv4[1]"),
            Some(Position {
                line: 4,
                column: 23
            })
        );
        // Unknown paths fall back to the nearest ancestor.
        assert_eq!(
            index.locate("servers[0].ipv4[7]"),
            Some(Position {
                line: 4,
                column: 11
            })
        );
    }
}
