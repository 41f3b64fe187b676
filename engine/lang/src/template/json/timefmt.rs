//! Time helpers for legacy templates: Go duration strings
//! (`pause_before: "1m30s"`) and time-ordered UUIDs. Go reference-time
//! layouts (`{{isotime}}`) and `strftime` are the function library's
//! (`functions::datetime`), shared with `legacy_isotime`/`legacy_strftime`.

/// Go's `time.RFC3339` layout.
pub const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

/// Parse a Go duration string (`"300ms"`, `"1h30m"`, `"-2s"`) into
/// nanoseconds. `None` when it is not valid Go duration syntax.
pub fn parse_duration(s: &str) -> Option<i128> {
    crate::duration::parse_go_nanos(s).ok()
}

/// Format nanoseconds as Go's `time.Duration.String()` does (`1m30s`).
pub fn format_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1u128)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac(u, div));
    }
    let h = u / 3_600_000_000_000;
    let m = u / 60_000_000_000 % 60;
    let s_nanos = u % 60_000_000_000;
    let mut out = String::from(sign);
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", frac(s_nanos, 1_000_000_000)));
    out
}

fn frac(v: u128, div: u128) -> String {
    let whole = v / div;
    let rem = v % div;
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rem:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A time-ordered UUID like Packer's `{{uuid}}`: the leading fields carry
/// the current time in nanoseconds, the rest is random.
pub fn time_ordered_uuid(unix_nanos: u128) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(unix_nanos);
    let r1 = h.finish();
    h.write_u64(r1);
    let r2 = h.finish();
    let t = unix_nanos as u64;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (t >> 32) as u32,
        (t >> 16) as u16,
        t as u16,
        (r1 >> 48) as u16,
        r2 & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, nanos: u32) -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::from_timestamp(secs, nanos)
            .unwrap_or_default()
            .fixed_offset()
    }

    #[test]
    fn isotime_layouts() {
        use crate::template::functions::datetime::format_go_layout;
        let t = at(1_136_214_245, 0); // 2006-01-02T15:04:05Z
        assert_eq!(format_go_layout(RFC3339, &t), "2006-01-02T15:04:05Z");
        assert_eq!(
            format_go_layout("Mon Jan _2 3:04PM 06 -07:00 MST", &t),
            "Mon Jan  2 3:04PM 06 +00:00 UTC"
        );
        assert_eq!(format_go_layout("01-02-2006", &t), "01-02-2006");
        assert_eq!(
            format_go_layout("2006-01-02", &at(951_782_400, 0)),
            "2000-02-29"
        );
    }

    #[test]
    fn fractions_and_strftime() {
        use crate::template::functions::datetime::{format_go_layout, strftime};
        let t = at(0, 120_000_000);
        assert_eq!(format_go_layout("05.000", &t), "00.120");
        assert_eq!(format_go_layout("05.999", &t), "00.12");
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S %%", &t),
            "1970-01-01 00:00:00 %"
        );
    }

    #[test]
    fn durations_round_trip_like_go() {
        assert_eq!(
            parse_duration("90s").map(format_duration).as_deref(),
            Some("1m30s")
        );
        assert_eq!(
            parse_duration("5s").map(format_duration).as_deref(),
            Some("5s")
        );
        assert_eq!(
            parse_duration("1h").map(format_duration).as_deref(),
            Some("1h0m0s")
        );
        assert_eq!(
            parse_duration("1.5s").map(format_duration).as_deref(),
            Some("1.5s")
        );
        assert_eq!(
            parse_duration("300ms").map(format_duration).as_deref(),
            Some("300ms")
        );
        assert_eq!(
            parse_duration("0").map(format_duration).as_deref(),
            Some("0s")
        );
        assert!(parse_duration("5").is_none());
        assert!(parse_duration("abc").is_none());
        assert!(parse_duration("").is_none());
    }

    #[test]
    fn uuids_look_like_uuids() {
        let u = time_ordered_uuid(1_700_000_000_000_000_000);
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
    }
}
