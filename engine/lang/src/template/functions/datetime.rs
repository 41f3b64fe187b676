//! Date and time functions. All "now" functions use one instant per
//! process ([`init_time`]), like Packer's `InitTime`.

use std::fmt::Write;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, TimeDelta, Timelike, Utc};

use super::helpers::{arg_err, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::Value;

static INIT_TIME: OnceLock<DateTime<Utc>> = OnceLock::new();

/// The instant used by `timestamp`, `legacy_isotime` and `legacy_strftime`.
pub fn init_time() -> DateTime<Utc> {
    *INIT_TIME.get_or_init(Utc::now)
}

fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Packer's `timestamp()` reads the clock at each call.
pub fn timestamp(_: &FuncCtx, _: &[Value]) -> R {
    Ok(string(rfc3339(&Utc::now().fixed_offset())))
}

fn parse_ts(s: &str, index: usize) -> Result<DateTime<FixedOffset>, FuncError> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|e| arg_err(index, format!("not a valid RFC3339 timestamp: {e}")))
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
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn offset_str(t: &DateTime<FixedOffset>, colon: bool, seconds: bool) -> String {
    let secs = t.offset().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, (a / 60) % 60, a % 60);
    let sep = if colon { ":" } else { "" };
    let mut out = format!("{sign}{h:02}{sep}{m:02}");
    if seconds {
        let _ = write!(out, "{sep}{s:02}");
    }
    out
}

fn zone_abbrev(t: &DateTime<FixedOffset>) -> String {
    if t.offset().local_minus_utc() == 0 {
        "UTC".into()
    } else {
        offset_str(t, false, false)
    }
}

fn hour12(h: u32) -> u32 {
    match h % 12 {
        0 => 12,
        x => x,
    }
}

/// cty's `formatdate` at a given instant.
pub fn format_date(spec: &str, t: &DateTime<FixedOffset>) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated literal '".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        out.push(*ch);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == c {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let piece = match run.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => format!("{:02}", t.year().rem_euclid(100)),
            "MMMM" => MONTHS[t.month0() as usize].to_string(),
            "MMM" => MONTHS[t.month0() as usize][..3].to_string(),
            "MM" => format!("{:02}", t.month()),
            "M" => t.month().to_string(),
            "DD" => format!("{:02}", t.day()),
            "D" => t.day().to_string(),
            "EEEE" => DAYS[t.weekday().num_days_from_monday() as usize].to_string(),
            "EEE" => DAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
            "hh" => format!("{:02}", t.hour()),
            "h" => t.hour().to_string(),
            "HH" => format!("{:02}", hour12(t.hour())),
            "H" => hour12(t.hour()).to_string(),
            "AA" => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if t.hour() < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", t.minute()),
            "m" => t.minute().to_string(),
            "ss" => format!("{:02}", t.second()),
            "s" => t.second().to_string(),
            "ZZZZZ" => offset_str(t, true, false),
            "ZZZZ" => offset_str(t, false, false),
            "ZZZ" => zone_abbrev(t),
            "Z" if t.offset().local_minus_utc() == 0 => "Z".to_string(),
            "Z" => offset_str(t, true, false),
            other => {
                let why = match c {
                    'Y' => ": year must either be \"YY\" or \"YYYY\"",
                    'M' => ": month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"",
                    'D' => ": day of month must either be \"D\" or \"DD\"",
                    'E' => ": day of week must either be \"EEE\" or \"EEEE\"",
                    'h' => ": 24-hour must either be \"h\" or \"hh\"",
                    'H' => ": 12-hour must either be \"H\" or \"HH\"",
                    'A' => ": must be \"AA\"",
                    'a' => ": must be \"aa\"",
                    'm' => ": minute must either be \"m\" or \"mm\"",
                    's' => ": second must either be \"s\" or \"ss\"",
                    'Z' => ": timezone must be Z, ZZZZ, or ZZZZZ",
                    _ => "",
                };
                return Err(format!("invalid date format verb {other:?}{why}"));
            }
        };
        out.push_str(&piece);
    }
    Ok(out)
}

pub fn formatdate(_: &FuncCtx, a: &[Value]) -> R {
    let spec = str_arg(a, 0)?;
    let t = parse_ts(&str_arg(a, 1)?, 1)?;
    format_date(&spec, &t)
        .map(string)
        .map_err(|e| arg_err(0, e))
}

/// Parse a Go duration string ("1h30m", "-2.5s", "300ms").
pub fn parse_go_duration(s: &str) -> Result<TimeDelta, crate::duration::DurationError> {
    crate::duration::parse_go_nanos(s).map(|n| TimeDelta::nanoseconds(n as i64))
}

pub fn timeadd(_: &FuncCtx, a: &[Value]) -> R {
    let t = parse_ts(&str_arg(a, 0)?, 0)?;
    let d = parse_go_duration(&str_arg(a, 1)?).map_err(|e| arg_err(1, e.to_string()))?;
    let r = t
        .checked_add_signed(d)
        .ok_or_else(|| arg_err(1, "the resulting time is out of range"))?;
    Ok(string(rfc3339(&r)))
}

/// Format `t` with a Go reference-time layout ("2006-01-02T15:04:05Z07:00").
pub fn format_go_layout(layout: &str, t: &DateTime<FixedOffset>) -> String {
    let mut out = String::new();
    let mut rest = layout;
    let nanos = t.nanosecond() % 1_000_000_000;
    while let Some(c) = rest.chars().next() {
        let take = |p: &str| rest.starts_with(p);
        let (piece, len): (String, usize) = if take("January") {
            (MONTHS[t.month0() as usize].into(), 7)
        } else if take("Jan") {
            (MONTHS[t.month0() as usize][..3].into(), 3)
        } else if take("Monday") {
            (DAYS[t.weekday().num_days_from_monday() as usize].into(), 6)
        } else if take("Mon") {
            (
                DAYS[t.weekday().num_days_from_monday() as usize][..3].into(),
                3,
            )
        } else if take("MST") {
            (zone_abbrev(t), 3)
        } else if take("2006") {
            (format!("{:04}", t.year()), 4)
        } else if take("002") {
            (format!("{:03}", t.ordinal()), 3)
        } else if take("01") {
            (format!("{:02}", t.month()), 2)
        } else if take("02") {
            (format!("{:02}", t.day()), 2)
        } else if take("03") {
            (format!("{:02}", hour12(t.hour())), 2)
        } else if take("04") {
            (format!("{:02}", t.minute()), 2)
        } else if take("05") {
            (format!("{:02}", t.second()), 2)
        } else if take("06") {
            (format!("{:02}", t.year().rem_euclid(100)), 2)
        } else if take("15") {
            (format!("{:02}", t.hour()), 2)
        } else if take("__2") {
            (format!("{:>3}", t.ordinal()), 3)
        } else if take("_2") {
            (format!("{:>2}", t.day()), 2)
        } else if take("1") {
            (t.month().to_string(), 1)
        } else if take("2") {
            (t.day().to_string(), 1)
        } else if take("3") {
            (hour12(t.hour()).to_string(), 1)
        } else if take("4") {
            (t.minute().to_string(), 1)
        } else if take("5") {
            (t.second().to_string(), 1)
        } else if take("PM") {
            (if t.hour() < 12 { "AM" } else { "PM" }.into(), 2)
        } else if take("pm") {
            (if t.hour() < 12 { "am" } else { "pm" }.into(), 2)
        } else if let Some((z, n)) = zone_chunk(rest, t) {
            (z, n)
        } else if let Some((f, n)) = fraction_chunk(rest, nanos) {
            (f, n)
        } else {
            (c.to_string(), c.len_utf8())
        };
        out.push_str(&piece);
        rest = &rest[len..];
    }
    out
}

fn zone_chunk(rest: &str, t: &DateTime<FixedOffset>) -> Option<(String, usize)> {
    let utc = t.offset().local_minus_utc() == 0;
    for (pat, colon, secs, hours_only) in [
        ("070000", false, true, false),
        ("07:00:00", true, true, false),
        ("0700", false, false, false),
        ("07:00", true, false, false),
        ("07", false, false, true),
    ] {
        for prefix in ["Z", "-"] {
            let full = format!("{prefix}{pat}");
            if rest.starts_with(&full) {
                if prefix == "Z" && utc {
                    return Some(("Z".into(), full.len()));
                }
                let mut s = offset_str(t, colon, secs);
                if hours_only {
                    s.truncate(3);
                }
                return Some((s, full.len()));
            }
        }
    }
    None
}

fn fraction_chunk(rest: &str, nanos: u32) -> Option<(String, usize)> {
    let mut chars = rest.chars();
    let sep = chars.next().filter(|c| *c == '.' || *c == ',')?;
    let digit = chars.next().filter(|c| *c == '0' || *c == '9')?;
    let count = 1 + rest[2..].chars().take_while(|c| *c == digit).count();
    if rest[1 + count..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{nanos:09}");
    let mut frac = digits[..count.min(9)].to_string();
    if digit == '9' {
        frac = frac.trim_end_matches('0').to_string();
        if frac.is_empty() {
            return Some((String::new(), 1 + count));
        }
    }
    Some((format!("{sep}{frac}"), 1 + count))
}

pub fn legacy_isotime(_: &FuncCtx, a: &[Value]) -> R {
    let t = init_time().fixed_offset();
    match a.first() {
        None => Ok(string(rfc3339(&t))),
        Some(_) => Ok(string(format_go_layout(&str_arg(a, 0)?, &t))),
    }
}

/// strftime formatting as Packer's `legacy_strftime` does it
/// (github.com/jehiah/go-strftime): `%a %A %b %B %d %f %H %I %j %L %m %M
/// %p %S %y %Y %z %Z %%`; any other `%x` is kept literally.
pub fn strftime(fmt: &str, t: &DateTime<FixedOffset>) -> String {
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(code) = chars.next() else {
            out.push('%');
            break;
        };
        let layout = match code {
            'B' => "January",
            'b' => "Jan",
            'm' => "01",
            'A' => "Monday",
            'a' => "Mon",
            'd' => "02",
            'H' => "15",
            'I' => "03",
            'M' => "04",
            'S' => "05",
            'Y' => "2006",
            'y' => "06",
            'p' => "PM",
            'Z' => "MST",
            'z' => "-0700",
            _ => "",
        };
        if !layout.is_empty() {
            out.push_str(&format_go_layout(layout, t));
            continue;
        }
        match code {
            '%' => out.push('%'),
            'j' => out.push_str(&format!("{:03}", t.ordinal())),
            'f' => out.push_str(&format!("{:06}", t.nanosecond() % 1_000_000_000 / 1000)),
            'L' => out.push_str(&format!(
                "{:03}",
                t.nanosecond() % 1_000_000_000 / 1_000_000
            )),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

pub fn legacy_strftime(_: &FuncCtx, a: &[Value]) -> R {
    let t = init_time().fixed_offset();
    match a.first() {
        None => Ok(string(rfc3339(&t))),
        Some(_) => Ok(string(strftime(&str_arg(a, 0)?, &t))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, s};
    use super::*;
    use crate::template::functions::call;

    fn at(ts: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(ts).unwrap_or_default()
    }

    #[test]
    fn formatdate_docs() {
        let cases = [
            (
                "DD MMM YYYY hh:mm ZZZ",
                "2018-01-02T23:12:01Z",
                "02 Jan 2018 23:12 UTC",
            ),
            (
                "EEEE, DD-MMM-YY hh:mm:ss ZZZ",
                "2018-01-02T23:12:01Z",
                "Tuesday, 02-Jan-18 23:12:01 UTC",
            ),
            (
                "EEE, DD MMM YYYY hh:mm:ss ZZZ",
                "2018-01-02T23:12:01-08:00",
                "Tue, 02 Jan 2018 23:12:01 -0800",
            ),
            ("MMM DD, YYYY", "2018-01-02T23:12:01Z", "Jan 02, 2018"),
            ("HH:mmaa", "2018-01-02T23:12:01Z", "11:12pm"),
            ("h 'o''clock' AA", "2018-01-02T09:00:00Z", "9 o'clock AM"),
            (
                "YYYY-MM-DD'T'hh:mm:ssZ",
                "2018-01-02T23:12:01+05:30",
                "2018-01-02T23:12:01+05:30",
            ),
            ("ZZZZZ ZZZZ Z", "2018-01-02T23:12:01Z", "+00:00 +0000 Z"),
            ("M/D", "2018-01-02T23:12:01Z", "1/2"),
        ];
        for (spec, ts, want) in cases {
            assert_eq!(call_ok("formatdate", &[s(spec), s(ts)]), s(want), "{spec}");
        }
        assert!(call("formatdate", &ctx(), &[s("YYY"), s("2018-01-02T23:12:01Z")]).is_err());
        assert!(call("formatdate", &ctx(), &[s("YYYY"), s("2018-01-02")]).is_err());
        assert!(call(
            "formatdate",
            &ctx(),
            &[s("'oops"), s("2018-01-02T23:12:01Z")]
        )
        .is_err());
    }

    #[test]
    fn timeadd_docs() {
        assert_eq!(
            call_ok("timeadd", &[s("2017-11-22T00:00:00Z"), s("10m")]),
            s("2017-11-22T00:10:00Z")
        );
        assert_eq!(
            call_ok("timeadd", &[s("2017-11-22T00:00:00Z"), s("-1h30m")]),
            s("2017-11-21T22:30:00Z")
        );
        assert_eq!(
            call_ok("timeadd", &[s("2017-11-22T00:00:00+01:00"), s("1.5h")]),
            s("2017-11-22T01:30:00+01:00")
        );
        assert!(call("timeadd", &ctx(), &[s("2017-11-22T00:00:00Z"), s("1y")]).is_err());
        assert!(call(
            "timeadd",
            &ctx(),
            &[s("2017-11-22T00:00:00Z"), s("99999999999h")]
        )
        .is_err());
    }

    #[test]
    fn timestamp_is_rfc3339_utc() {
        let a = call_ok("timestamp", &[]);
        let text = a.as_str().unwrap_or_default().to_string();
        assert!(text.ends_with('Z') && text.len() == 20, "{text}");
        assert!(DateTime::parse_from_rfc3339(&text).is_ok());
        // legacy_isotime() uses the one instant fixed at start-up.
        let iso = call_ok("legacy_isotime", &[]);
        assert_eq!(iso, call_ok("legacy_isotime", &[]));
        assert_eq!(iso, s(&rfc3339(&init_time().fixed_offset())));
    }

    #[test]
    fn go_layouts() {
        let t = at("2009-11-10T23:04:05.123456789Z");
        assert_eq!(
            format_go_layout("2006-01-02T15:04:05Z07:00", &t),
            "2009-11-10T23:04:05Z"
        );
        assert_eq!(
            format_go_layout("Mon Jan _2 15:04:05 MST 2006", &t),
            "Tue Nov 10 23:04:05 UTC 2009"
        );
        assert_eq!(
            format_go_layout("06-1-2 3:4:5 PM", &t),
            "09-11-10 11:4:5 PM"
        );
        assert_eq!(format_go_layout("15:04:05.000", &t), "23:04:05.123");
        assert_eq!(
            format_go_layout("Monday, January 2", &t),
            "Tuesday, November 10"
        );
        let t2 = at("2009-11-10T08:04:05-07:00");
        assert_eq!(
            format_go_layout("2006-01-02T15:04:05-0700 Z07:00 MST", &t2),
            "2009-11-10T08:04:05-0700 -07:00 -0700"
        );
        assert_eq!(format_go_layout("20060102150405", &t2), "20091110080405");
    }

    #[test]
    fn strftime_codes() {
        let t = at("2009-11-10T23:04:05Z");
        assert_eq!(strftime("%Y-%m-%d %H:%M:%S", &t), "2009-11-10 23:04:05");
        assert_eq!(
            strftime("%a %A %b %B %y %j %%", &t),
            "Tue Tuesday Nov November 09 314 %"
        );
        assert_eq!(strftime("%I%p %Z %z", &t), "11PM UTC +0000");
        assert_eq!(strftime("%Q and 100%", &t), "%Q and 100%");
        let t2 = at("2009-11-10T08:04:05.250-07:00");
        assert_eq!(
            strftime("%I:%M %p %z %L %f", &t2),
            "08:04 AM -0700 250 250000"
        );
        assert!(call("legacy_strftime", &ctx(), &[s("%Y")]).is_ok());
        assert_eq!(
            call("legacy_strftime", &ctx(), &[]),
            call("legacy_isotime", &ctx(), &[])
        );
    }
}
