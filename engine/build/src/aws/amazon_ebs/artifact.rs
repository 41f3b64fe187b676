//! The `amazon-ebs` artifact: AMI ids by region (Packer's
//! `common.Artifact`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::aws::client::Aws;
use kiln_sdk::artifact::Artifact;

/// Packer's builder id for amazon-ebs.
pub const BUILDER_ID: &str = "mitchellh.amazonebs";

#[derive(Debug, Clone)]
pub struct AmiArtifact {
    /// Region → AMI id.
    pub amis: BTreeMap<String, String>,
    pub builder_id: String,
    /// To deregister the AMIs when a post-processor chain drops them.
    pub aws: Option<Aws>,
}

impl AmiArtifact {
    pub fn new(amis: BTreeMap<String, String>, aws: Option<Aws>) -> Self {
        AmiArtifact {
            amis,
            builder_id: BUILDER_ID.to_string(),
            aws,
        }
    }
}

impl Artifact for AmiArtifact {
    fn builder_id(&self) -> &str {
        &self.builder_id
    }

    /// `region:ami` pairs, sorted, joined with commas (the manifest's
    /// `artifact_id`).
    fn id(&self) -> String {
        self.amis
            .iter()
            .map(|(r, a)| format!("{r}:{a}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    fn description(&self) -> String {
        if self.amis.is_empty() {
            return "No AMIs to create.".to_string();
        }
        let mut s = "AMIs were created:\n".to_string();
        for (r, a) in &self.amis {
            s.push_str(&format!("{r}: {a}\n"));
        }
        s
    }

    /// Deregister every AMI and delete its snapshots.
    fn destroy(&self) -> Result<(), String> {
        let Some(aws) = self.aws.clone() else {
            return Ok(());
        };
        let amis = self.amis.clone();
        // The trait is synchronous and may be called on a runtime thread:
        // run the calls on a thread of their own.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let mut errors = Vec::new();
                for (region, ami) in &amis {
                    tracing::info!(%region, %ami, "Deregistering image");
                    if let Err(e) = super::image::deregister(&aws.ec2_in(region), ami, true).await {
                        errors.push(format!("{region}: {e}"));
                    }
                }
                if errors.is_empty() {
                    Ok(())
                } else {
                    Err(format!("Error destroying AMIs: {}", errors.join("; ")))
                }
            })
        })
        .join()
        .map_err(|_| "the AMI clean-up thread panicked".to_string())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_id_like_packer() {
        let mut amis = BTreeMap::new();
        amis.insert("us-west-2".to_string(), "ami-2".to_string());
        amis.insert("us-east-1".to_string(), "ami-1".to_string());
        let a = AmiArtifact::new(amis, None);
        assert_eq!(a.id(), "us-east-1:ami-1,us-west-2:ami-2");
        assert_eq!(
            a.description(),
            "AMIs were created:\nus-east-1: ami-1\nus-west-2: ami-2\n"
        );
        assert_eq!(a.builder_id(), "mitchellh.amazonebs");
    }
}
