//! Version constraints in HashiCorp `go-version` syntax (`>= 1.0`,
//! `~> 1.2`, `= 1.2.3`, `!= 1.3`, `< 2`, comma-separated), as used by
//! `required_version` and `required_plugins`.

use std::cmp::Ordering;

/// A parsed version: numeric segments, optional pre-release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Numeric segments, padded with zeros to at least three.
    pub segments: Vec<u64>,
    /// How many segments were written (for `~>`).
    pub written: usize,
    /// The pre-release after `-` (`beta1`); empty for a release.
    pub pre: String,
}

impl Version {
    /// Parse `1.2.3`, `v1.2`, `1.2.3-beta1` (build metadata after `+` is
    /// ignored); the error is Packer's `Malformed version: …`.
    pub fn parse(s: &str) -> Result<Version, String> {
        let t = s.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let t = t.split_once('+').map_or(t, |(a, _)| a);
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, p.to_string()),
            Some(_) => return Err(format!("Malformed version: {s}")),
            None => (t, String::new()),
        };
        if core.is_empty() {
            return Err(format!("Malformed version: {s}"));
        }
        let mut segments = Vec::new();
        for part in core.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("Malformed version: {s}"));
            }
            segments.push(
                part.parse::<u64>()
                    .map_err(|_| format!("Malformed version: {s}"))?,
            );
        }
        let written = segments.len();
        while segments.len() < 3 {
            segments.push(0);
        }
        Ok(Version {
            segments,
            written,
            pre,
        })
    }

    fn cmp_core(&self, other: &Version) -> Ordering {
        let n = self.segments.len().max(other.segments.len());
        for i in 0..n {
            let a = self.segments.get(i).copied().unwrap_or(0);
            let b = other.segments.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }

    /// Full ordering: segments, then a pre-release sorts before the release.
    pub fn compare(&self, other: &Version) -> Ordering {
        self.cmp_core(other)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => cmp_pre(&self.pre, &other.pre),
            })
    }
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    let mut pa = a.split('.');
    let mut pb = b.split('.');
    loop {
        match (pa.next(), pb.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Whether `version` satisfies every comma-separated constraint.
/// Errors name a malformed version or constraint.
pub fn version_satisfies(version: &str, constraint: &str) -> Result<bool, String> {
    let v = Version::parse(version)?;
    let mut ok = true;
    for part in constraint.split(',') {
        let part = part.trim();
        let (op, rest) = split_op(part);
        let c = Version::parse(rest).map_err(|_| format!("Malformed constraint: {part}"))?;
        ok &= prerelease_ok(&v, &c) && satisfies_one(&v, op, &c);
    }
    Ok(ok)
}

fn split_op(part: &str) -> (&str, &str) {
    for op in ["~>", ">=", "<=", "!=", ">", "<", "="] {
        if let Some(rest) = part.strip_prefix(op) {
            return (op, rest.trim());
        }
    }
    ("=", part)
}

fn prerelease_ok(v: &Version, c: &Version) -> bool {
    match (v.pre.is_empty(), c.pre.is_empty()) {
        (false, false) => v.cmp_core(c) == Ordering::Equal,
        (false, true) => false,
        _ => true,
    }
}

fn satisfies_one(v: &Version, op: &str, c: &Version) -> bool {
    let o = v.compare(c);
    match op {
        "=" => o == Ordering::Equal,
        "!=" => o != Ordering::Equal,
        ">" => o == Ordering::Greater,
        "<" => o == Ordering::Less,
        ">=" => o != Ordering::Less,
        "<=" => o != Ordering::Greater,
        _ => {
            // "~>": at least c, and the same leading segments except the
            // last one written (go-version: "~> 1" is ">= 1").
            if o == Ordering::Less {
                return false;
            }
            let fixed = c.written.saturating_sub(1);
            (0..fixed).all(|i| v.segments.get(i) == c.segments.get(i))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(v: &str, c: &str) -> bool {
        version_satisfies(v, c).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn operators() {
        assert!(sat("1.16.0", ">= 1.7.0"));
        assert!(!sat("1.16.0", "< 1.7"));
        assert!(sat("1.16.0", "= 1.16.0"));
        assert!(sat("1.16.0", "1.16"));
        assert!(sat("1.16.0", "!= 1.15.0"));
        assert!(!sat("1.16.0", "!= 1.16.0"));
        assert!(sat("1.16.0", ">= 1.2.0, < 2.0.0"));
        assert!(!sat("1.16.0", ">= 1.2.0, < 1.10.0"));
        assert!(sat("v1.2.3", "<= 1.2.3"));
        assert!(sat("1.3.0", "> 1.2.9"));
    }

    #[test]
    fn pessimistic() {
        assert!(sat("1.3.9", "~> 1"));
        assert!(sat("2.0.0", "~> 1"));
        assert!(sat("1.3.9", "~> 1.2"));
        assert!(!sat("2.0.0", "~> 1.2"));
        assert!(sat("1.1.5", "~> 1.1.0"));
        assert!(!sat("1.2.0", "~> 1.1.0"));
        assert!(!sat("1.1.0", "~> 1.1.1"));
    }

    #[test]
    fn prereleases_and_errors() {
        assert!(!sat("1.2.0-beta", ">= 1.0"));
        assert!(sat("1.2.0-beta.2", ">= 1.2.0-beta.1"));
        assert!(sat("1.2.0", "> 1.2.0-beta"));
        assert!(version_satisfies("1.0", ">= x").is_err());
        assert!(version_satisfies("abc", ">= 1").is_err());
    }
}
