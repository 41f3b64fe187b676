//! A tiny HCL writer producing text formatted the way `hclwrite.Format`
//! (and so `packer fmt`) does: two-space indentation, the `=` of adjacent
//! single-line attributes aligned, multi-line values breaking alignment.

/// An expression, already in HCL syntax.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Single-line expression text, e.g. `"abc"`, `true`, `var.x`.
    Raw(String),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{ key = value … }` written one member per line.
    Object(Vec<(String, Expr)>),
}

/// One item of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `name = expr`
    Attr(String, Expr),
    /// A nested block.
    Block(Block),
    /// An empty line.
    Blank,
    /// Comment lines (each written as is, e.g. `# text`), indented.
    Comment(Vec<String>),
}

/// A block: `kind "label" … { body }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    /// The block type, e.g. `source`.
    pub kind: String,
    /// The labels, written quoted.
    pub labels: Vec<String>,
    /// The items inside the braces, in order.
    pub body: Vec<Item>,
}

impl Block {
    /// An empty block.
    pub fn new(kind: &str, labels: &[&str]) -> Self {
        Block {
            kind: kind.to_string(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            body: Vec::new(),
        }
    }

    /// Append the attribute `name = expr`.
    pub fn attr(&mut self, name: &str, expr: Expr) {
        self.body.push(Item::Attr(name.to_string(), expr));
    }

    /// The block as text at an indentation level (in units of two spaces).
    pub fn render(&self, level: usize) -> String {
        let mut out = String::new();
        let pad = "  ".repeat(level);
        out.push_str(&pad);
        out.push_str(&self.kind);
        for l in &self.labels {
            out.push(' ');
            out.push_str(&quote(l));
        }
        out.push_str(" {\n");
        out.push_str(&render_body(&self.body, level + 1));
        out.push_str(&pad);
        out.push_str("}\n");
        out
    }
}

/// Render body items at an indentation level.
pub fn render_body(items: &[Item], level: usize) -> String {
    let pad = "  ".repeat(level);
    let mut out = String::new();
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Item::Attr(..) => {
                // A run of single-line attributes is aligned together.
                let start = i;
                while i < items.len() {
                    match &items[i] {
                        Item::Attr(_, e) if !is_multiline(e) => i += 1,
                        _ => break,
                    }
                }
                if i == start {
                    // A multi-line attribute on its own.
                    if let Item::Attr(name, e) = &items[i] {
                        out.push_str(&format!("{pad}{name} = {}\n", render_expr(e, level)));
                    }
                    i += 1;
                    continue;
                }
                let width = items[start..i]
                    .iter()
                    .map(|it| match it {
                        Item::Attr(n, _) => n.chars().count(),
                        _ => 0,
                    })
                    .max()
                    .unwrap_or(0);
                for it in &items[start..i] {
                    if let Item::Attr(name, e) = it {
                        let fill = " ".repeat(width - name.chars().count());
                        out.push_str(&format!("{pad}{name}{fill} = {}\n", render_expr(e, level)));
                    }
                }
            }
            Item::Block(b) => {
                out.push_str(&b.render(level));
                i += 1;
            }
            Item::Blank => {
                out.push('\n');
                i += 1;
            }
            Item::Comment(lines) => {
                for l in lines {
                    out.push_str(&pad);
                    out.push_str(l);
                    out.push('\n');
                }
                i += 1;
            }
        }
    }
    out
}

fn is_multiline(e: &Expr) -> bool {
    match e {
        Expr::Raw(s) => s.contains('\n'),
        Expr::List(items) => items.iter().any(is_multiline),
        Expr::Object(_) => true,
    }
}

/// Render an expression whose first line starts after `name = ` at
/// `level`; continuation lines are indented relative to `level`.
pub fn render_expr(e: &Expr, level: usize) -> String {
    match e {
        Expr::Raw(s) => s.clone(),
        Expr::List(items) => {
            let parts: Vec<String> = items.iter().map(|i| render_expr(i, level)).collect();
            format!("[{}]", parts.join(", "))
        }
        Expr::Object(members) => {
            let items: Vec<Item> = members
                .iter()
                .map(|(k, v)| Item::Attr(object_key(k), v.clone()))
                .collect();
            format!(
                "{{\n{}{}}}",
                render_body(&items, level + 1),
                "  ".repeat(level)
            )
        }
    }
}

/// An object key: bare when it is an identifier, quoted otherwise.
pub fn object_key(k: &str) -> String {
    if is_identifier(k) {
        k.to_string()
    } else {
        quote(k)
    }
}

/// True for HCL identifiers (letters, digits, `_` and `-`, not starting
/// with a digit or `-`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Escape literal text for an HCL quoted template (`${` and `%{` are
/// doubled so that they stay literal).
pub fn escape_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A quoted HCL string literal with nothing interpolated.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", escape_literal(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_adjacent_attributes() {
        let mut b = Block::new("source", &["null", "x"]);
        b.attr("a", Expr::Raw("1".into()));
        b.attr("long_name", Expr::Raw("\"x\"".into()));
        b.attr(
            "tags",
            Expr::Object(vec![
                ("Name".into(), Expr::Raw("\"n\"".into())),
                ("a-b c".into(), Expr::Raw("2".into())),
            ]),
        );
        b.body.push(Item::Block(Block::new("inner", &[])));
        let text = b.render(0);
        assert_eq!(
            text,
            "source \"null\" \"x\" {\n  a         = 1\n  long_name = \"x\"\n  tags = {\n    Name    = \"n\"\n    \"a-b c\" = 2\n  }\n  inner {\n  }\n}\n"
        );
    }

    #[test]
    fn escapes_literals() {
        assert_eq!(quote("a\"b\\${x}%{y}\n"), "\"a\\\"b\\\\$${x}%%{y}\\n\"");
        assert!(is_identifier("root-device-type"));
        assert!(!is_identifier("1a"));
    }
}
