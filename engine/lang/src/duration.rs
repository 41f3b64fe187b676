//! Go duration strings (`"30s"`, `"1h30m"`, `"-250ms"`), as Packer's
//! `pause_before`, `timeout`, `ssh_timeout`, `timeadd()` and legacy JSON
//! templates use them. The one parser in kiln; everything else wraps it.

use std::time::Duration;

/// Parse a Go `time.ParseDuration` string into signed nanoseconds. Errors
/// read like Go's (`time: unknown unit "x" in duration "5x"`).
pub fn parse_go_nanos(s: &str) -> Result<i128, String> {
    let bad = || format!("time: invalid duration {s:?}");
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
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            u => return Err(format!("time: unknown unit {u:?} in duration {s:?}")),
        };
        rest = &rest[unit_len..];
        total_ns += value * scale;
    }
    if total_ns > 9.2e18 {
        return Err(format!("time: invalid duration {s:?} (overflow)"));
    }
    let n = total_ns.round() as i128;
    Ok(if neg { -n } else { n })
}

/// Parse a non-negative Go duration (a wait, a timeout).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let nanos = parse_go_nanos(s.trim())?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| format!("duration {s:?} must not be negative"))
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
            Err("time: missing unit in duration \"10\"".to_string())
        );
        assert_eq!(
            parse_go_nanos("5x"),
            Err("time: unknown unit \"x\" in duration \"5x\"".to_string())
        );
        for bad in ["", "m", "1..5s", "abc", "-", "5 minutes", "9999999999h"] {
            assert!(parse_go_nanos(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("-1s").is_err());
    }
}
