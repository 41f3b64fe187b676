//! Typed reads of an evaluated component configuration at build time.
//! (Validation already checked types against the component schema; these
//! still fail cleanly, naming the field, when a value is unusable.)

use std::collections::BTreeMap;

use kiln_lang::template::model::ConfigBody;
use kiln_lang::template::Value;

use crate::BuildError;

/// A typed view of one component's configuration.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub component: &'a str,
    pub body: &'a ConfigBody,
}

impl<'a> Settings<'a> {
    pub fn new(component: &'a str, body: &'a ConfigBody) -> Self {
        Settings { component, body }
    }

    fn known(&self, name: &str) -> Result<Option<&'a Value>, BuildError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Unknown) => Err(self.invalid(name, "its value is not known")),
            Some(v) => Ok(Some(v)),
        }
    }

    fn invalid(&self, name: &str, why: &str) -> BuildError {
        BuildError::Config(format!(
            "{}: invalid value for {name:?}: {why}",
            self.component
        ))
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, BuildError> {
        match self.known(name)? {
            None => Ok(None),
            Some(v) => v
                .to_display_string()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "a string is required")),
        }
    }

    pub fn required_string(&self, name: &str) -> Result<String, BuildError> {
        self.string(name)?.ok_or_else(|| {
            BuildError::Config(format!(
                "{}: the argument {name:?} is required",
                self.component
            ))
        })
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, BuildError> {
        match self.known(name)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(_) => Err(self.invalid(name, "a bool is required")),
        }
    }

    pub fn string_list(&self, name: &str) -> Result<Vec<String>, BuildError> {
        match self.known(name)? {
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

    pub fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>, BuildError> {
        match self.known(name)? {
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
                    BuildError::Config(format!(
                        "{}: {name:?} must be a list of numbers",
                        self.component
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}
