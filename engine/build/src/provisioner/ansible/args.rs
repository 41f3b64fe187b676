//! The `ansible-playbook` command line, in Packer's order: Packer's extra
//! vars, `--ssh-extra-args`, the user's `extra_arguments`, the private key,
//! then `-i INVENTORY PLAYBOOK` last.

/// What the command line is made of.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    pub build_name: &'a str,
    pub builder_type: &'a str,
    /// `PackerHTTPAddr`, when the builder serves files over HTTP.
    pub http_addr: Option<&'a str>,
    pub ssh: bool,
    pub ssh_extra_args: &'a [String],
    pub extra_arguments: &'a [String],
    pub private_key_file: Option<&'a str>,
    pub env: &'a [(String, String)],
    pub inventory: &'a str,
    pub playbook: &'a str,
}

/// Packer's `checkArg`: is `name` one of the `=`-separated words of an
/// argument?
pub fn mentions(name: &str, args: &[String]) -> bool {
    args.iter().any(|a| a.split('=').any(|w| w == name))
}

pub fn build(i: &Inputs<'_>) -> Vec<String> {
    let mut args = Vec::new();
    if !i.build_name.is_empty() {
        args.push("-e".to_string());
        args.push(format!("packer_build_name={:?}", i.build_name));
    }
    args.push("-e".to_string());
    args.push(format!("packer_builder_type={}", i.builder_type));
    if let Some(addr) = i.http_addr {
        args.push("-e".to_string());
        args.push(format!("packer_http_addr={addr}"));
    }
    if i.ssh && i.private_key_file.is_some() {
        let extra = if i.ssh_extra_args.is_empty() {
            "-o IdentitiesOnly=yes".to_string()
        } else {
            i.ssh_extra_args.join(" ")
        };
        args.push("--ssh-extra-args".to_string());
        args.push(format!("'{extra}'"));
    }
    args.extend(i.extra_arguments.iter().cloned());
    let has_password = mentions("ansible_password", &args);
    if let (false, Some(key)) = (has_password, i.private_key_file) {
        args.push("-e".to_string());
        args.push(format!("ansible_ssh_private_key_file={key}"));
    }
    if has_password
        && i.ssh
        && !mentions("ansible_host_key_checking", &args)
        && !i.env.iter().any(|(k, _)| k == "ANSIBLE_HOST_KEY_CHECKING")
    {
        args.push("-e".to_string());
        args.push("ansible_host_key_checking=False".to_string());
    }
    args.push("-i".to_string());
    args.push(i.inventory.to_string());
    args.push(i.playbook.to_string());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packer_order_with_a_key() {
        let extra = vec!["-v".to_string()];
        let args = build(&Inputs {
            build_name: "web",
            builder_type: "null",
            ssh: true,
            extra_arguments: &extra,
            private_key_file: Some("/tmp/k"),
            inventory: "/tmp/inv",
            playbook: "/p/site.yml",
            ..Default::default()
        });
        assert_eq!(
            args.join(" "),
            "-e packer_build_name=\"web\" -e packer_builder_type=null \
             --ssh-extra-args '-o IdentitiesOnly=yes' -v \
             -e ansible_ssh_private_key_file=/tmp/k -i /tmp/inv /p/site.yml"
        );
    }

    #[test]
    fn a_password_replaces_the_key_and_turns_off_host_key_checking() {
        let extra = vec!["-e".to_string(), "ansible_password=pw".to_string()];
        let args = build(&Inputs {
            builder_type: "null",
            ssh: true,
            extra_arguments: &extra,
            private_key_file: Some("/tmp/k"),
            inventory: "i",
            playbook: "p",
            ..Default::default()
        });
        assert!(!args
            .iter()
            .any(|a| a.contains("ansible_ssh_private_key_file")));
        assert!(args.contains(&"ansible_host_key_checking=False".to_string()));
    }
}
