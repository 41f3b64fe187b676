//! Time helpers for legacy templates: Go reference-time layouts
//! (`{{isotime "2006-01-02"}}`), C `strftime` (`{{strftime "%Y"}}`), Go
//! duration strings (`pause_before: "1m30s"`) and time-ordered UUIDs.
//! All times are UTC, as Packer renders them.

/// A UTC instant broken into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 1-based day of the year.
    pub yday: u32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl Civil {
    /// Calendar fields of a Unix time (seconds + nanoseconds), UTC.
    pub fn from_unix(secs: i64, nanos: u32) -> Civil {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        // Days to civil date (proleptic Gregorian), after H. Hinnant.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const CUM: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let yday = CUM[(month - 1) as usize] + day + u32::from(leap && month > 2);
        Civil {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
            nanos,
            weekday: (days + 4).rem_euclid(7) as u32,
            yday,
        }
    }

    fn hour12(&self) -> u32 {
        match self.hour % 12 {
            0 => 12,
            h => h,
        }
    }
}

/// Go's `time.RFC3339` layout.
pub const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

/// Format a time with a Go reference-time layout (UTC).
pub fn format_go(t: &Civil, layout: &str) -> String {
    let b = layout.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let starts = |i: usize, s: &str| layout[i..].starts_with(s);
    while i < b.len() {
        let c = b[i];
        let (text, len): (String, usize) = match c {
            b'J' if starts(i, "January") => (MONTHS[t.month as usize - 1].into(), 7),
            b'J' if starts(i, "Jan") => (MONTHS[t.month as usize - 1][..3].into(), 3),
            b'M' if starts(i, "Monday") => (DAYS[t.weekday as usize].into(), 6),
            b'M' if starts(i, "Mon") => (DAYS[t.weekday as usize][..3].into(), 3),
            b'M' if starts(i, "MST") => ("UTC".into(), 3),
            b'0' if matches!(b.get(i + 1), Some(b'1'..=b'6')) => {
                let v = match b[i + 1] {
                    b'1' => format!("{:02}", t.month),
                    b'2' => format!("{:02}", t.day),
                    b'3' => format!("{:02}", t.hour12()),
                    b'4' => format!("{:02}", t.minute),
                    b'5' => format!("{:02}", t.second),
                    _ => format!("{:02}", t.year.rem_euclid(100)),
                };
                (v, 2)
            }
            b'0' if starts(i, "002") => (format!("{:03}", t.yday), 3),
            b'1' if starts(i, "15") => (format!("{:02}", t.hour), 2),
            b'1' => (t.month.to_string(), 1),
            b'2' if starts(i, "2006") => (format!("{:04}", t.year), 4),
            b'2' => (t.day.to_string(), 1),
            b'_' if starts(i, "_2006") => (format!("_{:04}", t.year), 5),
            b'_' if starts(i, "_2") => (format!("{:>2}", t.day), 2),
            b'_' if starts(i, "__2") => (format!("{:>3}", t.yday), 3),
            b'3' => (t.hour12().to_string(), 1),
            b'4' => (t.minute.to_string(), 1),
            b'5' => (t.second.to_string(), 1),
            b'P' if starts(i, "PM") => ((if t.hour >= 12 { "PM" } else { "AM" }).into(), 2),
            b'p' if starts(i, "pm") => ((if t.hour >= 12 { "pm" } else { "am" }).into(), 2),
            b'Z' | b'-' => {
                let forms = ["070000", "07:00:00", "0700", "07:00", "07"];
                match forms.iter().find(|f| layout[i + 1..].starts_with(**f)) {
                    Some(f) => {
                        let v = if c == b'Z' {
                            "Z".to_string()
                        } else {
                            match *f {
                                "070000" => "+000000".into(),
                                "07:00:00" => "+00:00:00".into(),
                                "0700" => "+0000".into(),
                                "07:00" => "+00:00".into(),
                                _ => "+00".into(),
                            }
                        };
                        (v, 1 + f.len())
                    }
                    None => ((c as char).to_string(), 1),
                }
            }
            b'.' | b',' if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    ((c as char).to_string(), 1)
                } else {
                    let digits = (j - i - 1).min(9);
                    let frac = format!("{:09}", t.nanos);
                    let mut f = frac[..digits].to_string();
                    if ch == b'9' {
                        f = f.trim_end_matches('0').to_string();
                        if f.is_empty() {
                            (String::new(), j - i)
                        } else {
                            (format!("{}{f}", c as char), j - i)
                        }
                    } else {
                        (format!("{}{f}", c as char), j - i)
                    }
                }
            }
            _ => {
                let ch = layout[i..].chars().next().unwrap_or(' ');
                (ch.to_string(), ch.len_utf8())
            }
        };
        out.push_str(&text);
        i += len;
    }
    out
}

/// Format a time with C `strftime` directives (UTC).
pub fn format_strftime(t: &Civil, fmt: &str) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('%');
            break;
        };
        let s = match d {
            'a' => DAYS[t.weekday as usize][..3].to_string(),
            'A' => DAYS[t.weekday as usize].to_string(),
            'b' | 'h' => MONTHS[t.month as usize - 1][..3].to_string(),
            'B' => MONTHS[t.month as usize - 1].to_string(),
            'c' => format_go(t, "Mon Jan  2 15:04:05 2006"),
            'C' => format!("{:02}", t.year / 100),
            'd' => format!("{:02}", t.day),
            'D' => format_go(t, "01/02/06"),
            'e' => format!("{:>2}", t.day),
            'f' => format!("{:06}", t.nanos / 1000),
            'F' => format_go(t, "2006-01-02"),
            'H' => format!("{:02}", t.hour),
            'I' => format!("{:02}", t.hour12()),
            'j' => format!("{:03}", t.yday),
            'L' => format!("{:03}", t.nanos / 1_000_000),
            'm' => format!("{:02}", t.month),
            'M' => format!("{:02}", t.minute),
            'n' => "\n".into(),
            'p' => (if t.hour >= 12 { "PM" } else { "AM" }).into(),
            'r' => format_go(t, "03:04:05 PM"),
            'R' => format_go(t, "15:04"),
            'S' => format!("{:02}", t.second),
            't' => "\t".into(),
            'T' => format_go(t, "15:04:05"),
            'u' => (if t.weekday == 0 { 7 } else { t.weekday }).to_string(),
            'w' => t.weekday.to_string(),
            'y' => format!("{:02}", t.year.rem_euclid(100)),
            'Y' => t.year.to_string(),
            'z' => "+0000".into(),
            'Z' => "UTC".into(),
            '%' => "%".into(),
            other => format!("%{other}"),
        };
        out.push_str(&s);
    }
    out
}

/// Parse a Go duration string (`"300ms"`, `"1h30m"`, `"-2s"`) into
/// nanoseconds. `None` when it is not valid Go duration syntax.
pub fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * unit;
    }
    if total > 9.3e18 {
        return None;
    }
    let n = total.round() as i128;
    Some(if neg { -n } else { n })
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

    #[test]
    fn civil_dates() {
        let t = Civil::from_unix(1_136_214_245, 0); // 2006-01-02T15:04:05Z
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2006, 1, 2, 15, 4, 5)
        );
        assert_eq!(t.weekday, 1);
        assert_eq!(format_go(&t, RFC3339), "2006-01-02T15:04:05Z");
        assert_eq!(
            format_go(&t, "Mon Jan _2 3:04PM 06 -07:00 MST"),
            "Mon Jan  2 3:04PM 06 +00:00 UTC"
        );
        assert_eq!(format_go(&t, "01-02-2006"), "01-02-2006");
        let leap = Civil::from_unix(951_782_400, 0); // 2000-02-29
        assert_eq!((leap.year, leap.month, leap.day), (2000, 2, 29));
        assert_eq!(Civil::from_unix(1_700_000_000, 0).yday, 318);
    }

    #[test]
    fn fractions_and_strftime() {
        let t = Civil::from_unix(0, 120_000_000);
        assert_eq!(format_go(&t, "05.000"), "00.120");
        assert_eq!(format_go(&t, "05.999"), "00.12");
        assert_eq!(
            format_strftime(&t, "%Y-%m-%d %H:%M:%S %%"),
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
