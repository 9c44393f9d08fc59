//! The box-drawing trees `list` and `inspect` print, drawn as notation's `internal/tree`
//! does: `├── ` / `└── ` before each child, `│   ` / four spaces below them.

/// One node of a tree and its children, in print order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub value: String,
    pub children: Vec<Node>,
}

impl Node {
    /// A leaf with `value`.
    pub fn new(value: impl Into<String>) -> Node {
        Node {
            value: value.into(),
            children: Vec::new(),
        }
    }

    /// Append a child and return it, to add grandchildren.
    pub fn add(&mut self, value: impl Into<String>) -> &mut Node {
        self.children.push(Node::new(value));
        self.children.last_mut().expect("just pushed")
    }

    /// Append a `key: value` child.
    pub fn add_kv(&mut self, key: &str, value: impl std::fmt::Display) -> &mut Node {
        self.add(format!("{key}: {value}"))
    }

    /// The whole tree, one line per node, each ending in `\n`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, "", "");
        out
    }

    fn render_into(&self, out: &mut String, marker_prefix: &str, child_prefix: &str) {
        out.push_str(marker_prefix);
        out.push_str(&self.value);
        out.push('\n');
        let last = self.children.len().saturating_sub(1);
        for (i, child) in self.children.iter().enumerate() {
            let (marker, below) = if i == last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            child.render_into(
                out,
                &format!("{child_prefix}{marker}"),
                &format!("{child_prefix}{below}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_notation() {
        let mut root = Node::new("root");
        let sigs = root.add("application/vnd.cncf.notary.signature");
        let first = sigs.add("a");
        first.add("a1");
        first.add("a2");
        sigs.add("b").add("b1");
        assert_eq!(
            root.render(),
            "root\n└── application/vnd.cncf.notary.signature\n    ├── a\n    │   ├── a1\n    │   └── a2\n    └── b\n        └── b1\n"
        );
    }

    #[test]
    fn single_node() {
        assert_eq!(Node::new("x").render(), "x\n");
    }
}
