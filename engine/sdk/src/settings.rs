//! Typed reads of an evaluated component configuration at build time,
//! through the component's one description.
//!
//! A component's configuration is described once, in the language
//! layer's catalogue ([`kiln_lang::schema`]): `kiln validate` checks
//! templates against it, and [`Settings::of`] gives the component's
//! implementation a view of its configuration that (1) applies the
//! description's rules again to what the build actually runs (legacy JSON
//! components are rendered and HCL2 ones re-evaluated with `build.*`
//! values after validation), and (2) only reads arguments the
//! description has, with the type it gives them — so the implementation
//! and `kiln validate` cannot drift apart silently.

use std::collections::BTreeMap;

use kiln_lang::diag::Severity;
use kiln_lang::schema::{self, ComponentSchema, Field, FieldType};
use kiln_lang::template::model::{Component, ConfigBody};
use kiln_lang::template::Value;

use crate::error::ConfigError;
use crate::BuildError;

/// A typed view of one component's configuration (or of one of its
/// nested blocks).
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// The component as messages name it (`docker builder`, …).
    pub component: &'a str,
    /// The evaluated configuration.
    pub body: &'a ConfigBody,
    /// The description of `body`; `None` for a view without one (see
    /// [`Settings::new`]).
    fields: Option<Described>,
}

/// What describes a body: a whole component or one of its block fields.
#[derive(Debug, Clone, Copy)]
enum Described {
    Component(&'static ComponentSchema),
    Block(&'static [Field]),
}

impl Described {
    fn field(self, name: &str) -> Option<&'static Field> {
        match self {
            Described::Component(c) => c.field(name),
            Described::Block(fields) => fields.iter().find(|f| f.name == name),
        }
    }
}

/// The kinds of read [`Settings`] offers, for checking them against the
/// description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Any,
    String,
    Bool,
    List,
    Map,
    Block,
}

impl Read {
    fn name(self) -> &'static str {
        match self {
            Read::Any => "a value",
            Read::String => "a string",
            Read::Bool => "a bool",
            Read::List => "a list",
            Read::Map => "a map",
            Read::Block => "a block",
        }
    }

    fn fits(self, ty: &FieldType) -> bool {
        matches!(
            (self, ty),
            (_, FieldType::Any)
                | (Read::Any, _)
                | (
                    Read::String,
                    FieldType::String
                        | FieldType::Number
                        | FieldType::Duration
                        | FieldType::Enum(_),
                )
                | (Read::Bool, FieldType::Bool)
                | (Read::List, FieldType::List(_))
                | (Read::Map, FieldType::Map(_))
                | (Read::Block, FieldType::Block { .. })
        )
    }
}

impl<'a> Settings<'a> {
    /// A view of a configuration body without a description (values are
    /// still read and converted with the same checks). Components read
    /// their configuration through [`Settings::of`]; this serves bodies
    /// that are not a component's (tests, synthetic configurations).
    pub fn new(component: &'a str, body: &'a ConfigBody) -> Self {
        Settings {
            component,
            body,
            fields: None,
        }
    }

    /// The configuration of `c` read through its description: the
    /// description's rules must accept it (errors become
    /// [`ConfigError::Rejected`]), and every read is checked against the
    /// described fields. `component` is how messages name it.
    pub fn of(component: &'a str, c: &'a Component) -> Result<Self, BuildError> {
        let description =
            schema::lookup(c.kind, &c.type_name).ok_or_else(|| ConfigError::Undescribed {
                component: component.to_string(),
                field: String::new(),
                wanted: "a component",
                described: format!("catalogue has no {} {:?}", c.kind.noun(), c.type_name),
            })?;
        let errors: Vec<_> = schema::validate_component(c)
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Err(ConfigError::Rejected {
                component: component.to_string(),
                diagnostics: errors,
            }
            .into());
        }
        Ok(Settings {
            component,
            body: &c.config,
            fields: Some(Described::Component(description)),
        })
    }

    /// A view of one nested block's body (`body` is one of
    /// [`ConfigBody::blocks_of`]`(name)` or the JSON-style object form),
    /// described by the block's fields.
    pub fn nested(&self, name: &str, body: &'a ConfigBody) -> Result<Settings<'a>, BuildError> {
        let fields = match self.described(name, Read::Block)? {
            Some(FieldType::Block { fields, .. }) => Some(Described::Block(fields)),
            _ => None,
        };
        Ok(Settings {
            component: self.component,
            body,
            fields,
        })
    }

    /// The described type of `name`, checked against the read `want`.
    fn described(&self, name: &str, want: Read) -> Result<Option<&'static FieldType>, BuildError> {
        let Some(fields) = self.fields else {
            return Ok(None);
        };
        let undescribed = |described: String| ConfigError::Undescribed {
            component: self.component.to_string(),
            field: name.to_string(),
            wanted: want.name(),
            described,
        };
        match fields.field(name) {
            None => Err(undescribed("does not have it".into()).into()),
            Some(f) if !want.fits(&f.ty) => {
                Err(undescribed(format!("describes it as {}", f.ty.describe())).into())
            }
            Some(f) => Ok(Some(&f.ty)),
        }
    }

    fn known(&self, name: &str, want: Read) -> Result<Option<&'a Value>, BuildError> {
        self.described(name, want)?;
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Unknown) => Err(self.invalid(name, "its value is not known")),
            Some(v) => Ok(Some(v)),
        }
    }

    fn invalid(&self, name: &str, why: &str) -> BuildError {
        ConfigError::Invalid {
            component: self.component.to_string(),
            field: name.to_string(),
            reason: why.to_string(),
        }
        .into()
    }

    /// The known value of a described argument, whatever its type (for
    /// conversions of the component's own, e.g. whole numbers); `None`
    /// when unset or null.
    pub fn value(&self, name: &str) -> Result<Option<&'a Value>, BuildError> {
        self.known(name, Read::Any)
    }

    /// A string argument (numbers and bools as text); `None` when unset
    /// or null.
    pub fn string(&self, name: &str) -> Result<Option<String>, BuildError> {
        match self.known(name, Read::String)? {
            None => Ok(None),
            Some(v) => v
                .to_display_string()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "a string is required")),
        }
    }

    /// A string argument that must be set.
    pub fn required_string(&self, name: &str) -> Result<String, BuildError> {
        self.string(name)?.ok_or_else(|| {
            ConfigError::Required {
                component: self.component.to_string(),
                field: name.to_string(),
            }
            .into()
        })
    }

    /// A bool argument (`"true"`/`"false"` accepted); `None` when unset.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, BuildError> {
        match self.known(name, Read::Bool)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(_) => Err(self.invalid(name, "a bool is required")),
        }
    }

    /// A list of strings; empty when unset.
    pub fn string_list(&self, name: &str) -> Result<Vec<String>, BuildError> {
        match self.known(name, Read::List)? {
            None => Ok(Vec::new()),
            Some(Value::List(items)) => items
                .iter()
                .map(|v| {
                    v.to_display_string()
                        .ok_or_else(|| self.invalid(name, "a list of strings is required"))
                })
                .collect(),
            Some(_) => Err(self.invalid(name, "a list of strings is required")),
        }
    }

    /// A map of strings; empty when unset.
    pub fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>, BuildError> {
        match self.known(name, Read::Map)? {
            None => Ok(BTreeMap::new()),
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, v)| {
                    v.to_display_string()
                        .map(|s| (k.clone(), s))
                        .ok_or_else(|| self.invalid(name, "a map of strings is required"))
                })
                .collect(),
            Some(_) => Err(self.invalid(name, "a map of strings is required")),
        }
    }

    /// A list of integers (`valid_exit_codes`); `None` when unset or empty.
    pub fn int_list(&self, name: &str) -> Result<Option<Vec<i32>>, BuildError> {
        let list = self.string_list(name)?;
        if list.is_empty() {
            return Ok(None);
        }
        list.iter()
            .map(|s| {
                s.parse::<i32>().map_err(|_| {
                    BuildError::config(format!(
                        "{}: {name:?} must be a list of numbers",
                        self.component
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}
