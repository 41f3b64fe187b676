//! Planning a bump: for each target, the build's images, the files that
//! set the variable, and the string literals to replace; then each file's
//! new text with only those literals changed.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use crate::fmt::diff::unified_diff;
use crate::images::Image;
use crate::manifest::ManifestFile;

use super::config::BumpTarget;
use super::error::{BumpError, Location};
use super::manifest::select;
use super::terraform::{self, Value};

/// What a manifest implies for the Terraform files: the files that change
/// and one record per value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BumpPlan {
    /// Files whose text changes, by path.
    pub files: Vec<FileEdit>,
    /// Values that change, in file order.
    pub changes: Vec<Change>,
    /// Values already set to the build's image (no edit).
    pub unchanged: Vec<Change>,
}

/// One file's text before and after the bump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// The file's path, as given to [`plan`].
    pub path: String,
    /// The text before the bump.
    pub old: String,
    /// The text after the bump.
    pub new: String,
}

/// One value set to one image (a row of a pull request's table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The 0-based index of the `bump:` target.
    pub target: usize,
    /// The build as `TYPE.NAME`.
    pub build: String,
    /// The file the value is in.
    pub file: String,
    /// 1-based line of the value in the old text.
    pub line: usize,
    /// The Terraform variable.
    pub variable: String,
    /// The region (the map key, or the target's `region:`); `None` for
    /// builds without regions.
    pub region: Option<String>,
    /// The value before (the old image id, without quotes).
    pub old: String,
    /// The image id written.
    pub new: String,
}

impl BumpPlan {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The unified diff of every changed file, labelled `old/PATH` and
    /// `new/PATH` like `kiln fmt -diff` (`git apply` takes it).
    pub fn diff(&self) -> String {
        self.files
            .iter()
            .map(|f| unified_diff(&f.old, &f.new, &f.path))
            .collect()
    }

    /// The changes as a Markdown table: file, variable, region, old → new,
    /// build.
    pub fn markdown_table(&self) -> String {
        let mut out = String::from(
            "| file | variable | region | old | new | build |\n| --- | --- | --- | --- | --- | --- |\n",
        );
        // A `|` would end the cell, even inside a code span.
        let cell = |s: &str| s.replace('|', "\\|");
        for c in &self.changes {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | `{}` | `{}` | `{}` |\n",
                cell(&c.file),
                cell(&c.variable),
                cell(c.region.as_deref().unwrap_or("—")),
                cell(&c.old),
                cell(&c.new),
                cell(&c.build)
            ));
        }
        out
    }
}

/// One literal to replace.
struct Edit {
    span: Range<usize>,
    target: usize,
    change: Change,
}

/// Plans the edits the manifest implies for `targets`. `files` maps
/// repository-relative paths (`/` separators) to contents; it should hold
/// every file some [`BumpTarget::matches`] (others are ignored). Any file
/// a target matches must parse. Nothing is written: the plan holds the new
/// texts.
pub fn plan(
    manifest: &ManifestFile,
    targets: &[BumpTarget],
    files: &BTreeMap<String, String>,
) -> Result<BumpPlan, BumpError> {
    let mut bodies: HashMap<&str, hcl_edit::structure::Body> = HashMap::new();
    let mut edits: BTreeMap<&str, Vec<Edit>> = BTreeMap::new();
    for (index, target) in targets.iter().enumerate() {
        let (entry, images) = select(manifest, index, &target.build)?;
        let build = entry.type_and_name();
        let matched: Vec<(&str, &str)> = files
            .iter()
            .filter(|(p, _)| target.matches(p))
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        if matched.is_empty() {
            return Err(BumpError::NoFiles {
                target: index,
                glob: target.files.as_str().to_string(),
            });
        }
        let mut found = false;
        for (path, text) in &matched {
            if !bodies.contains_key(path) {
                let body = terraform::parse(text).map_err(|e| BumpError::Syntax {
                    at: Box::new(Location {
                        file: path.to_string(),
                        line: e.line,
                        column: e.column,
                    }),
                    message: e.message,
                })?;
                bodies.insert(path, body);
            }
            let Some(body) = bodies.get(path) else {
                continue;
            };
            for setting in terraform::find(body, path, &target.variable) {
                found = true;
                let ctx = Ctx {
                    index,
                    target,
                    build: &build,
                    images: &images,
                    path,
                    text,
                };
                ctx.edits(&setting.value, edits.entry(path).or_default())?;
            }
        }
        if !found {
            return Err(BumpError::NoVariable {
                target: index,
                glob: target.files.as_str().to_string(),
                variable: target.variable.clone(),
                searched: matched.iter().map(|(p, _)| p.to_string()).collect(),
            });
        }
    }
    apply(files, edits)
}

/// One target applied to one file.
struct Ctx<'a> {
    index: usize,
    target: &'a BumpTarget,
    build: &'a str,
    images: &'a [Image],
    path: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn at(&self, offset: usize) -> Box<Location> {
        Box::new(Location::of(self.path, self.text, offset))
    }

    fn regions(&self) -> Vec<String> {
        self.images
            .iter()
            .filter_map(|i| i.region.clone())
            .collect()
    }

    fn regional(&self) -> bool {
        self.images.iter().any(|i| i.region.is_some())
    }

    fn image_in(&self, region: &str) -> Option<&Image> {
        self.images
            .iter()
            .find(|i| i.region.as_deref() == Some(region))
    }

    fn not_regional(&self, offset: usize) -> BumpError {
        BumpError::NotRegional {
            at: self.at(offset),
            target: self.index,
            build: self.build.to_string(),
            variable: self.target.variable.clone(),
        }
    }

    fn not_built(&self, offset: usize, region: &str) -> BumpError {
        BumpError::RegionNotBuilt {
            at: self.at(offset),
            target: self.index,
            build: self.build.to_string(),
            region: region.to_string(),
            regions: self.regions(),
        }
    }

    fn not_editable(&self, offset: usize) -> BumpError {
        BumpError::NotEditable {
            at: self.at(offset),
            target: self.index,
            variable: self.target.variable.clone(),
        }
    }

    fn edit(&self, span: &Range<usize>, old: &str, region: Option<&str>, new: &str) -> Edit {
        Edit {
            span: span.clone(),
            target: self.index,
            change: Change {
                target: self.index,
                build: self.build.to_string(),
                file: self.path.to_string(),
                line: self.at(span.start).line,
                variable: self.target.variable.clone(),
                region: region.map(str::to_string),
                old: old.to_string(),
                new: new.to_string(),
            },
        }
    }

    /// The literals to replace in one setting of the variable.
    fn edits(&self, value: &Value, out: &mut Vec<Edit>) -> Result<(), BumpError> {
        match value {
            Value::String { span, text } => {
                let image = match (&self.target.region, self.regional()) {
                    (Some(_), false) => return Err(self.not_regional(span.start)),
                    (Some(region), true) => self
                        .image_in(region)
                        .ok_or_else(|| self.not_built(span.start, region))?,
                    (None, true) => {
                        return Err(BumpError::RegionRequired {
                            at: self.at(span.start),
                            target: self.index,
                            variable: self.target.variable.clone(),
                            build: self.build.to_string(),
                            regions: self.regions(),
                        })
                    }
                    (None, false) => match self.images {
                        [one] => one,
                        _ => return Err(self.not_regional(span.start)),
                    },
                };
                out.push(self.edit(span, text, image.region.as_deref(), &image.id));
            }
            Value::Map { span, entries } => {
                if !self.regional() {
                    return Err(self.not_regional(span.start));
                }
                if let Some(region) = &self.target.region {
                    if self.image_in(region).is_none() {
                        return Err(self.not_built(span.start, region));
                    }
                }
                let mut any = false;
                for (key, value) in entries {
                    if self.target.region.as_ref().is_some_and(|r| r != key) {
                        continue;
                    }
                    let Some(image) = self.image_in(key) else {
                        continue;
                    };
                    any = true;
                    match value {
                        Value::String { span, text } => {
                            out.push(self.edit(span, text, Some(key), &image.id))
                        }
                        other => return Err(self.not_editable(other.start())),
                    }
                }
                if !any {
                    return Err(BumpError::NoRegionKey {
                        at: self.at(span.start),
                        target: self.index,
                        variable: self.target.variable.clone(),
                        build: self.build.to_string(),
                        keys: entries.iter().map(|(k, _)| k.clone()).collect(),
                        regions: match &self.target.region {
                            Some(r) => vec![r.clone()],
                            None => self.regions(),
                        },
                    });
                }
            }
            Value::Other { span } => return Err(self.not_editable(span.start)),
        }
        Ok(())
    }
}

/// Splices the new literals into each file; the same literal set twice
/// must be set to the same image.
fn apply(
    files: &BTreeMap<String, String>,
    edits: BTreeMap<&str, Vec<Edit>>,
) -> Result<BumpPlan, BumpError> {
    let mut plan = BumpPlan::default();
    for (path, mut list) in edits {
        let Some(old) = files.get(path) else {
            continue;
        };
        list.sort_by_key(|e| (e.span.start, e.target));
        let mut kept: Vec<Edit> = Vec::with_capacity(list.len());
        for e in list {
            if let Some(prev) = kept.last() {
                if prev.span == e.span {
                    if prev.change.new != e.change.new {
                        return Err(BumpError::Conflict {
                            at: Box::new(Location::of(path, old, e.span.start)),
                            first: prev.target,
                            second: e.target,
                            first_id: prev.change.new.clone(),
                            second_id: e.change.new.clone(),
                        });
                    }
                    continue;
                }
            }
            kept.push(e);
        }
        let mut new = String::with_capacity(old.len() + 64);
        let mut cursor = 0;
        for e in kept {
            if e.change.old == e.change.new {
                plan.unchanged.push(e.change);
                continue;
            }
            let Some(before) = old.get(cursor..e.span.start) else {
                continue; // spans come from the parser: never overlapping
            };
            new.push_str(before);
            new.push_str(&terraform::quote(&e.change.new));
            cursor = e.span.end;
            plan.changes.push(e.change);
        }
        new.push_str(old.get(cursor..).unwrap_or_default());
        if new != *old {
            plan.files.push(FileEdit {
                path: path.to_string(),
                old: old.clone(),
                new,
            });
        }
    }
    Ok(plan)
}
