//! Go duration strings (`"30s"`, `"1h30m"`, `"-250ms"`), as Packer's
//! `pause_before`, `timeout`, `ssh_timeout`, `timeadd()` and legacy JSON
//! templates use them. The one parser in kiln; everything else wraps it.

use std::time::Duration;

/// Why a duration string is not one. Messages read like Go's
/// `time.ParseDuration` (`time: unknown unit "x" in duration "5x"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a duration at all (empty, no number, a stray character).
    #[error("time: invalid duration {0:?}")]
    Invalid(String),
    /// A number without a unit (`"10"`).
    #[error("time: missing unit in duration {0:?}")]
    MissingUnit(String),
    /// A unit Go does not know.
    #[error("time: unknown unit {unit:?} in duration {input:?}")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// More than Go's `time.Duration` holds (about 292 years).
    #[error("time: invalid duration {0:?} (overflow)")]
    Overflow(String),
    /// A wait or timeout that is negative.
    #[error("duration {0:?} must not be negative")]
    Negative(String),
}

/// Parse a Go `time.ParseDuration` string into signed nanoseconds.
pub fn parse_go_nanos(s: &str) -> Result<i128, DurationError> {
    let bad = || DurationError::Invalid(s.to_string());
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total_ns = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let value: f64 = num.parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "" => return Err(DurationError::MissingUnit(s.to_string())),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            u => {
                return Err(DurationError::UnknownUnit {
                    unit: u.to_string(),
                    input: s.to_string(),
                })
            }
        };
        rest = &rest[unit_len..];
        total_ns += value * scale;
    }
    if total_ns > 9.2e18 {
        return Err(DurationError::Overflow(s.to_string()));
    }
    let n = total_ns.round() as i128;
    Ok(if neg { -n } else { n })
}

/// Parse a non-negative Go duration (a wait, a timeout).
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let nanos = parse_go_nanos(s.trim())?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| DurationError::Negative(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_go_nanos("-2.5s"), Ok(-2_500_000_000));
        assert_eq!(parse_go_nanos(".5us"), Ok(500));
        assert_eq!(
            parse_duration("10"),
            Err(DurationError::MissingUnit("10".into()))
        );
        assert_eq!(
            parse_duration("10").map_err(|e| e.to_string()),
            Err("time: missing unit in duration \"10\"".to_string())
        );
        assert_eq!(
            parse_go_nanos("5x").map_err(|e| e.to_string()),
            Err("time: unknown unit \"x\" in duration \"5x\"".to_string())
        );
        assert_eq!(
            parse_duration("-1s"),
            Err(DurationError::Negative("-1s".into()))
        );
        assert_eq!(
            parse_go_nanos("9999999999h"),
            Err(DurationError::Overflow("9999999999h".into()))
        );
        for bad in ["", "m", "1..5s", "abc", "-", "5 minutes", "9999999999h"] {
            assert!(parse_go_nanos(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("-1s").is_err());
    }
}
