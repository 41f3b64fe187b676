//! Cross-field rules ("exactly one of", "requires", …) that plugins check
//! in `Prepare`, with helpers to locate them.

use super::validate::{is_known_set, is_set, missing, nested_bodies};
use crate::diag::{Diagnostic, Range};
use crate::template::model::ConfigBody;
use crate::template::Value;

/// The state a component's `check` function works on.
pub struct Checker<'a> {
    /// The component's configuration.
    pub body: &'a ConfigBody,
    /// The block header, attached to every diagnostic as its context.
    pub context: &'a str,
    /// What the checks found so far.
    pub diags: Vec<Diagnostic>,
}

fn quote_list(names: &[&str], conj: &str) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match q.len() {
        0 => String::new(),
        1 => q[0].clone(),
        n => format!("{} {conj} {}", q[..n - 1].join(", "), q[n - 1]),
    }
}

impl<'a> Checker<'a> {
    /// A checker for `body`, with no findings yet.
    pub fn new(body: &'a ConfigBody, context: &'a str) -> Self {
        Checker {
            body,
            context,
            diags: Vec::new(),
        }
    }

    /// Whether the body sets `name` (a block, or an attribute that is not
    /// null, `""`, `[]` or `{}`; unknown values count as set).
    pub fn is_set(&self, name: &str) -> bool {
        is_set(self.body, name)
    }

    /// Like [`Checker::is_set`] but unknown values do not count.
    pub fn is_known_set(&self, name: &str) -> bool {
        is_known_set(self.body, name)
    }

    /// The attribute's value, if set.
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    /// The attribute as a known string (numbers and bools converted).
    pub fn string(&self, name: &str) -> Option<String> {
        self.value(name).and_then(Value::to_display_string)
    }

    /// The attribute as a known bool (`"true"`/`"false"` converted).
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.value(name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" || s == "1" => Some(true),
            Value::String(s) if s == "false" || s == "0" => Some(false),
            _ => None,
        }
    }

    /// Where `name` is written (attribute name or block type), falling back
    /// to the body.
    pub fn name_range(&self, name: &str) -> Option<Range> {
        self.body
            .attrs
            .get(name)
            .and_then(|a| a.name_range.clone())
            .or_else(|| self.body.blocks_of(name).find_map(|b| b.range.clone()))
            .or_else(|| self.body.range.clone())
    }

    /// Where the value of `name` is written, falling back to its name.
    pub fn value_range(&self, name: &str) -> Option<Range> {
        self.body
            .attrs
            .get(name)
            .and_then(|a| a.value_range.clone())
            .or_else(|| self.name_range(name))
    }

    /// Push an error located at `range`.
    pub fn error(&mut self, summary: &str, detail: impl Into<String>, range: Option<Range>) {
        self.diags.push(
            Diagnostic::error(summary, detail)
                .with_range_opt(range)
                .with_context(self.context.to_string()),
        );
    }

    /// A "Missing required argument" error when `name` is not set.
    pub fn require(&mut self, name: &str) {
        if !self.is_set(name) {
            self.diags
                .push(missing(self.context, name, self.body.range.clone()));
        }
    }

    /// At least one of `names` must be set.
    pub fn at_least_one(&mut self, names: &[&str]) {
        if !names.iter().any(|n| self.is_set(n)) {
            let detail = format!("One of {} must be set.", quote_list(names, "or"));
            self.error("Missing required argument", detail, self.body.range.clone());
        }
    }

    /// At most one of `names` may be set; the error is located at the
    /// second one.
    pub fn at_most_one(&mut self, names: &[&str]) {
        let set: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.is_known_set(n))
            .collect();
        if let Some(second) = set.get(1) {
            let detail = format!(
                "Only one of {} may be set; {} conflicts with {:?}.",
                quote_list(names, "or"),
                format_args!("{second:?}"),
                set[0]
            );
            self.error("Conflicting arguments", detail, self.name_range(second));
        }
    }

    /// Exactly one of `names` must be set.
    pub fn exactly_one(&mut self, names: &[&str]) {
        self.at_least_one(names);
        self.at_most_one(names);
    }

    /// When `name` is set, `needs` must be set too.
    pub fn requires(&mut self, name: &str, needs: &str) {
        if self.is_set(name) && !self.is_set(needs) {
            let detail = format!("The argument {needs:?} is required when {name:?} is set.");
            self.error("Missing required argument", detail, self.name_range(name));
        }
    }

    /// The bodies of a block field in either form (blocks, or JSON-style
    /// object / list of objects).
    pub fn nested(&self, name: &str) -> Vec<ConfigBody> {
        nested_bodies(self.body, name)
    }

    /// Run checks on a nested body.
    pub fn with_nested(&mut self, body: &ConfigBody, f: impl FnOnce(&mut Checker<'_>)) {
        let mut inner = Checker::new(body, self.context);
        f(&mut inner);
        self.diags.append(&mut inner.diags);
    }
}
