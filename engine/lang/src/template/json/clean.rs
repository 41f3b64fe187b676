//! The name-cleaning template functions builders add to the legacy
//! template engine (`clean_resource_name`, `clean_ami_name`,
//! `clean_image_name`). Which exist, and what they do, depends on the
//! builder: Amazon, Google Compute and Azure each have their own rules;
//! core builders such as `null` and `file` have none, and neither have
//! provisioners, post-processors or the `variables` section.

/// The cleaning functions available where a string is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CleanFuncs {
    /// Not available: calling one is "function not defined".
    Unavailable,
    /// amazon-*: `clean_resource_name`, `clean_ami_name`.
    Amazon,
    /// googlecompute: `clean_resource_name`, `clean_image_name`.
    Google,
    /// azure-*: `clean_resource_name`, `clean_image_name`.
    Azure,
    /// Builders kiln has no rule for: all three, with Amazon's rule for
    /// `clean_resource_name` / `clean_ami_name` and Google's for
    /// `clean_image_name`.
    #[default]
    Generic,
}

impl CleanFuncs {
    /// The functions a builder type provides.
    pub fn for_builder(type_name: &str) -> CleanFuncs {
        if type_name.starts_with("amazon-") {
            CleanFuncs::Amazon
        } else if type_name.starts_with("googlecompute") {
            CleanFuncs::Google
        } else if type_name.starts_with("azure-") {
            CleanFuncs::Azure
        } else if matches!(type_name, "null" | "file") {
            CleanFuncs::Unavailable
        } else {
            CleanFuncs::Generic
        }
    }

    /// Apply function `name`, or `None` when it is not defined here.
    pub fn apply(self, name: &str, s: &str) -> Option<String> {
        use CleanFuncs::*;
        match (self, name) {
            (Amazon | Generic, "clean_resource_name" | "clean_ami_name") => Some(amazon(s)),
            (Google, "clean_resource_name" | "clean_image_name")
            | (Generic, "clean_image_name") => Some(google(s)),
            (Azure, "clean_resource_name" | "clean_image_name") => Some(azure(s)),
            _ => None,
        }
    }
}

fn map_bytes(s: &str, keep: impl Fn(u8) -> bool) -> String {
    s.bytes()
        .map(|b| if keep(b) { b as char } else { '-' })
        .collect()
}

/// Amazon: bytes outside `A-Za-z0-9()[] ./-'@_` become `-`.
pub fn amazon(s: &str) -> String {
    map_bytes(s, |b| {
        b.is_ascii_alphanumeric() || b"()[] ./-'@_".contains(&b)
    })
}

/// Google Compute: a valid image name is kept; otherwise lower-cased,
/// truncated to 63 bytes, bytes outside `a-z0-9` become `-`.
pub fn google(s: &str) -> String {
    let valid = s.len() <= 63
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        return s.to_string();
    }
    let lower = s.to_lowercase();
    let bytes: Vec<u8> = lower.bytes().take(63).collect();
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_lowercase() || b.is_ascii_digit() {
                b as char
            } else {
                '-'
            }
        })
        .collect()
}

/// Azure: bytes outside `A-Za-z0-9._-` become `-`; trailing `-_.` removed.
pub fn azure(s: &str) -> String {
    let cleaned = map_bytes(s, |b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    cleaned.trim_end_matches(['-', '_', '.']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_per_builder() {
        assert_eq!(amazon("a:b é(1)"), "a-b --(1)");
        assert_eq!(google("My_Image:1"), "my-image-1");
        assert_eq!(google("ok-name-1"), "ok-name-1");
        assert_eq!(google(&"A".repeat(70)).len(), 63);
        assert_eq!(azure("img:1.0_"), "img-1.0");
        assert_eq!(
            CleanFuncs::for_builder("null").apply("clean_resource_name", "x"),
            None
        );
        assert_eq!(
            CleanFuncs::for_builder("amazon-ebs").apply("clean_image_name", "x"),
            None
        );
        assert_eq!(
            CleanFuncs::for_builder("googlecompute").apply("clean_resource_name", "A"),
            Some("a".into())
        );
        assert_eq!(
            CleanFuncs::for_builder("docker").apply("clean_ami_name", "a:b"),
            Some("a-b".into())
        );
    }
}
