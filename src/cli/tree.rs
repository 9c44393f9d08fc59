//! The box-drawing trees of `notation list` and `notation inspect`.

/// A node: its text and its children.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// A node without children.
    pub fn new(text: impl Into<String>) -> Node {
        Node { text: text.into(), children: Vec::new() }
    }

    /// Append a child and return it for further building.
    pub fn add(&mut self, text: impl Into<String>) -> &mut Node {
        self.children.push(Node::new(text));
        self.children.last_mut().expect("just pushed")
    }

    /// Append a `key: value` child.
    pub fn add_kv(&mut self, key: &str, value: impl std::fmt::Display) -> &mut Node {
        self.add(format!("{key}: {value}"))
    }

    /// Render as notation does: the root on its own line, then `├── `/`└── ` branches with
    /// `│   ` and four-space continuation indents. Every line ends with `\n`.
    pub fn render(&self) -> String {
        let mut out = format!("{}\n", self.text);
        render_children(&self.children, "", &mut out);
        out
    }
}

fn render_children(children: &[Node], prefix: &str, out: &mut String) {
    for (i, child) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push_str(prefix);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&child.text);
        out.push('\n');
        let next = format!("{prefix}{}", if last { "    " } else { "│   " });
        render_children(&child.children, &next, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_notation() {
        let mut root = Node::new("layout@sha256:aa");
        let sigs = root.add("application/vnd.cncf.notary.signature");
        sigs.add("sha256:11").add("media type: x");
        sigs.add("sha256:22");
        assert_eq!(
            root.render(),
            "layout@sha256:aa\n└── application/vnd.cncf.notary.signature\n    ├── sha256:11\n    │   └── media type: x\n    └── sha256:22\n"
        );
    }
}
