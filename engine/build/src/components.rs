//! The one table of runnable components: each entry maps a component
//! type to the function that prepares it (Packer's `Prepare`: read and
//! check the configuration, create nothing). A component's configuration
//! is described once, in the language layer's catalogue
//! ([`kiln_lang::schema`]); adding a runnable component is its folder
//! plus one line here.
//!
//! The runner creates components only through [`builder`],
//! [`provisioner`] and [`post_processor`]; template evaluation runs data
//! sources through [`BuiltinDataSources`].

use kiln_lang::datasource::{DataSourceError, DataSources};
use kiln_lang::manifest::ManifestRegistry;
use kiln_lang::template::model::{Component, ComponentKind, ConfigBody};
use kiln_lang::template::Value;
use kiln_sdk::{BuildError, Builder, PostProcessor, Provisioner, Settings};

use crate::provisioner as prov;
use crate::{aws, builder as core_builder, datasource, docker, postprocessor as pp};

/// What a post-processor may need to know of the build it runs in.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildSettings<'a> {
    /// The build's `hcp_packer_registry` settings (the manifest
    /// post-processor records them).
    pub hcp_packer_registry: Option<&'a ManifestRegistry>,
}

type BuilderFn = fn(&Component) -> Result<Box<dyn Builder>, BuildError>;
type ProvisionerFn = fn(&Component) -> Result<Box<dyn Provisioner>, BuildError>;
type PostProcessorFn =
    fn(&Component, &BuildSettings<'_>) -> Result<Box<dyn PostProcessor>, BuildError>;
/// A data source gets its configuration read through its description.
type DataSourceFn = fn(&Settings<'_>) -> Result<Value, DataSourceError>;

/// How to make one kind of component.
#[derive(Clone, Copy)]
pub enum Factory {
    /// A builder.
    Builder(BuilderFn),
    /// A provisioner.
    Provisioner(ProvisionerFn),
    /// A post-processor.
    PostProcessor(PostProcessorFn),
    /// A data source (run during evaluation).
    DataSource(DataSourceFn),
}

impl Factory {
    /// The kind of component this factory makes.
    pub fn kind(&self) -> ComponentKind {
        match self {
            Factory::Builder(_) => ComponentKind::Builder,
            Factory::Provisioner(_) => ComponentKind::Provisioner,
            Factory::PostProcessor(_) => ComponentKind::PostProcessor,
            Factory::DataSource(_) => ComponentKind::DataSource,
        }
    }
}

/// One runnable component type.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The type name templates use (`amazon-ebs`, `shell`, …).
    pub type_name: &'static str,
    /// How to make it.
    pub factory: Factory,
}

const fn b(type_name: &'static str, f: BuilderFn) -> Entry {
    Entry {
        type_name,
        factory: Factory::Builder(f),
    }
}
const fn p(type_name: &'static str, f: ProvisionerFn) -> Entry {
    Entry {
        type_name,
        factory: Factory::Provisioner(f),
    }
}
const fn pp(type_name: &'static str, f: PostProcessorFn) -> Entry {
    Entry {
        type_name,
        factory: Factory::PostProcessor(f),
    }
}
const fn d(type_name: &'static str, f: DataSourceFn) -> Entry {
    Entry {
        type_name,
        factory: Factory::DataSource(f),
    }
}

/// Every component kiln can run.
pub static TABLE: &[Entry] = &[
    b("amazon-ebs", |c| {
        Ok(Box::new(aws::amazon_ebs::AmazonEbsBuilder::prepare(c)?))
    }),
    b("docker", |c| {
        Ok(Box::new(docker::builder::DockerBuilder::prepare(c)?))
    }),
    b("file", |c| {
        Ok(Box::new(core_builder::file::FileBuilder::prepare(c)?))
    }),
    b("null", |c| {
        Ok(Box::new(core_builder::null::NullBuilder::prepare(c)?))
    }),
    p("file", |c| {
        Ok(Box::new(prov::file::FileProvisioner::prepare(c)?))
    }),
    p("shell-local", |c| {
        Ok(Box::new(prov::shell_local::ShellLocal::prepare(c)?))
    }),
    p("shell", |c| Ok(Box::new(prov::shell::Shell::prepare(c)?))),
    p("breakpoint", |c| {
        Ok(Box::new(prov::breakpoint::Breakpoint::prepare(c)?))
    }),
    p("ansible", |c| {
        Ok(Box::new(prov::ansible::Ansible::prepare(c)?))
    }),
    p("ansible-local", |c| {
        Ok(Box::new(prov::ansible_local::AnsibleLocal::prepare(c)?))
    }),
    pp("manifest", |c, s| {
        let m = pp::manifest::Manifest::prepare(c)?;
        Ok(Box::new(m.with_registry(s.hcp_packer_registry.cloned())))
    }),
    pp("shell-local", |c, _| {
        Ok(Box::new(pp::shell_local::ShellLocalPostProcessor::prepare(
            c,
        )?))
    }),
    pp("checksum", |c, _| {
        Ok(Box::new(pp::checksum::Checksum::prepare(c)?))
    }),
    pp("compress", |c, _| {
        Ok(Box::new(pp::compress::Compress::prepare(c)?))
    }),
    pp("artifice", |c, _| {
        Ok(Box::new(pp::artifice::Artifice::prepare(c)?))
    }),
    pp("docker-import", |c, _| {
        Ok(Box::new(docker::import::DockerImport::prepare(c)?))
    }),
    pp("docker-push", |c, _| {
        Ok(Box::new(docker::push::DockerPush::prepare(c)?))
    }),
    pp("docker-save", |c, _| {
        Ok(Box::new(docker::save::DockerSave::prepare(c)?))
    }),
    pp("docker-tag", |c, _| {
        Ok(Box::new(docker::tag::DockerTag::prepare(c)?))
    }),
    d("http", |c| {
        datasource::http::http_output(c.body).map_err(|e| DataSourceError(e.to_string()))
    }),
    d("amazon-ami", |c| {
        aws::amazon_ami::amazon_ami_output(c).map_err(|e| DataSourceError(e.to_string()))
    }),
    d("kiln-registry-version", |c| {
        datasource::registry::version_output(c.body).map_err(|e| DataSourceError(e.to_string()))
    }),
    d("kiln-registry-artifact", |c| {
        datasource::registry::artifact_output(c.body).map_err(|e| DataSourceError(e.to_string()))
    }),
];

fn find(kind: ComponentKind, type_name: &str) -> Option<&'static Factory> {
    TABLE
        .iter()
        .find(|e| e.type_name == type_name && e.factory.kind() == kind)
        .map(|e| &e.factory)
}

/// The runnable types of a kind, in table order.
pub fn available(kind: ComponentKind) -> Vec<&'static str> {
    TABLE
        .iter()
        .filter(|e| e.factory.kind() == kind)
        .map(|e| e.type_name)
        .collect()
}

/// Whether kiln can run this component type (`null` data sources run in
/// the language layer).
pub fn runnable(kind: ComponentKind, type_name: &str) -> bool {
    find(kind, type_name).is_some() || (kind == ComponentKind::DataSource && type_name == "null")
}

fn not_available(kind: ComponentKind, type_name: &str) -> BuildError {
    BuildError::NotAvailable {
        kind: kind.noun(),
        type_name: type_name.to_string(),
        available: available(kind).join(", "),
    }
}

/// Prepare the builder a component configures.
pub fn builder(c: &Component) -> Result<Box<dyn Builder>, BuildError> {
    match find(ComponentKind::Builder, &c.type_name) {
        Some(Factory::Builder(f)) => f(c),
        _ => Err(not_available(ComponentKind::Builder, &c.type_name)),
    }
}

/// Prepare the provisioner a component configures.
pub fn provisioner(c: &Component) -> Result<Box<dyn Provisioner>, BuildError> {
    match find(ComponentKind::Provisioner, &c.type_name) {
        Some(Factory::Provisioner(f)) => f(c),
        _ => Err(not_available(ComponentKind::Provisioner, &c.type_name)),
    }
}

/// Prepare the post-processor a component configures, for a build with
/// these settings.
pub fn post_processor(
    c: &Component,
    build: &BuildSettings<'_>,
) -> Result<Box<dyn PostProcessor>, BuildError> {
    match find(ComponentKind::PostProcessor, &c.type_name) {
        Some(Factory::PostProcessor(f)) => f(c, build),
        _ => Err(not_available(ComponentKind::PostProcessor, &c.type_name)),
    }
}

/// The data sources of [`TABLE`], for template evaluation
/// ([`kiln_lang::template::LoadOptions::data_sources`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinDataSources;

impl DataSources for BuiltinDataSources {
    fn execute(
        &self,
        type_name: &str,
        config: &ConfigBody,
    ) -> Option<Result<Value, DataSourceError>> {
        let Factory::DataSource(f) = find(ComponentKind::DataSource, type_name)? else {
            return None;
        };
        // The description's rules first (e.g. amazon-ami's owners): a
        // data source the catalogue rejects makes no call.
        let component = Component {
            kind: ComponentKind::DataSource,
            type_name: type_name.to_string(),
            name: None,
            type_range: None,
            context: format!("data {type_name:?}"),
            config: config.clone(),
        };
        let what = format!("{type_name} data source");
        Some(match Settings::of(&what, &component) {
            Ok(settings) => f(&settings),
            Err(e) => Err(DataSourceError(e.to_string())),
        })
    }
}

/// The table of executable data sources, shared.
pub fn data_sources() -> std::sync::Arc<dyn DataSources> {
    std::sync::Arc::new(BuiltinDataSources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_described_component_runs() {
        // Every component the catalogue describes is runnable: no type is
        // validate-only today.
        for s in kiln_lang::schema::all() {
            assert!(
                runnable(s.kind, s.type_name),
                "{} {:?} is described but not runnable",
                s.kind.noun(),
                s.type_name
            );
        }
    }

    #[test]
    fn every_runnable_component_is_described() {
        for e in TABLE {
            assert!(
                kiln_lang::schema::lookup(e.factory.kind(), e.type_name).is_some(),
                "{} {:?} runs but has no description",
                e.factory.kind().noun(),
                e.type_name
            );
        }
    }

    #[test]
    fn unknown_types_are_not_available() {
        let c = Component {
            kind: ComponentKind::Builder,
            type_name: "nope".into(),
            name: None,
            type_range: None,
            context: "source \"nope\" \"x\"".into(),
            config: ConfigBody::default(),
        };
        let err = builder(&c).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("\"nope\" is not available"), "{err}");
        assert!(err.contains("amazon-ebs, docker, file, null"), "{err}");
        assert!(kiln_lang::schema::unavailable(&c, &runnable).is_none());
    }
}
