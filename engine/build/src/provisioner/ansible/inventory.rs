//! The temporary inventory the `ansible` provisioner hands to
//! `ansible-playbook -i`: one host line from `inventory_file_template`
//! (Packer's default names the host `host_alias` with its address, user and
//! port), repeated under each of `groups`, then the `empty_groups`.

use std::path::{Path, PathBuf};

use crate::provisioner::fields;
use kiln_sdk::BuildError;

/// Packer's host line for Ansible 2 and later.
pub const DEFAULT_TEMPLATE_V2: &str =
    "{{ .HostAlias }} ansible_host={{ .Host }} ansible_user={{ .User }} ansible_port={{ .Port }}\n";
/// Packer's host line for Ansible 1.x.
pub const DEFAULT_TEMPLATE_V1: &str = "{{ .HostAlias }} ansible_ssh_host={{ .Host }} ansible_ssh_user={{ .User }} ansible_ssh_port={{ .Port }}\n";

/// The inventory text: `host_line` filled by `lookup`, then groups.
pub fn render(
    template: &str,
    lookup: impl Fn(&str) -> Option<String>,
    groups: &[String],
    empty_groups: &[String],
) -> String {
    let host = fields::fill(template, lookup);
    let mut out = host.clone();
    for g in groups {
        out.push_str(&format!("[{g}]\n{host}"));
    }
    for g in empty_groups {
        out.push_str(&format!("[{g}]\n"));
    }
    out
}

/// A generated inventory file, removed on drop unless kept.
#[derive(Debug)]
pub struct InventoryFile {
    path: PathBuf,
    keep: bool,
}

impl InventoryFile {
    /// Write `content` to a new `packer-provisioner-ansible*` file in `dir`
    /// (the system temporary directory when `None`).
    pub fn create(dir: Option<&Path>, content: &str, keep: bool) -> Result<Self, BuildError> {
        use std::io::Write;
        let dir = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let err =
            |e: std::io::Error| BuildError::Step(format!("Error preparing inventory file: {e}"));
        for _ in 0..16 {
            let path = dir.join(format!(
                "packer-provisioner-ansible{}",
                &uuid::Uuid::new_v4().simple().to_string()[..10]
            ));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            match opts.open(&path) {
                Ok(mut f) => {
                    let file = InventoryFile { path, keep };
                    f.write_all(content.as_bytes()).map_err(err)?;
                    return Ok(file);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(err(e)),
            }
        }
        Err(BuildError::Step(
            "Error preparing inventory file: no free name".to_string(),
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for InventoryFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_inventory_with_groups() {
        let lookup = |k: &str| {
            Some(
                match k {
                    "HostAlias" => "default",
                    "Host" => "127.0.0.1",
                    "User" => "root",
                    "Port" => "2222",
                    _ => return None,
                }
                .to_string(),
            )
        };
        let inv = render(DEFAULT_TEMPLATE_V2, lookup, &["web".into()], &["db".into()]);
        assert_eq!(
            inv,
            "default ansible_host=127.0.0.1 ansible_user=root ansible_port=2222\n\
             [web]\ndefault ansible_host=127.0.0.1 ansible_user=root ansible_port=2222\n\
             [db]\n"
        );
    }
}
