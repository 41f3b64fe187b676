//! Date and time functions. All "now" functions use one instant per
//! process ([`init_time`]), like Packer's `InitTime`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, TimeDelta, Timelike, Utc};

use super::helpers::{arg_err, int_arg, str_arg, string, R};
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

/// The date and time values of an instant, as `rfc3339_parse` and
/// `unix_timestamp_parse` return them (in the instant's own offset).
fn date_parts(t: &DateTime<FixedOffset>) -> BTreeMap<String, Value> {
    let n = |v: i64| Value::Number(v as f64);
    let iso = t.iso_week();
    let mut m = BTreeMap::new();
    m.insert("year".to_string(), n(i64::from(t.year())));
    m.insert("year_day".to_string(), n(i64::from(t.ordinal())));
    m.insert("month".to_string(), n(i64::from(t.month())));
    m.insert(
        "month_name".to_string(),
        string(MONTHS[t.month0() as usize]),
    );
    m.insert("day".to_string(), n(i64::from(t.day())));
    // Go's Weekday: Sunday is 0.
    let weekday = t.weekday().num_days_from_sunday();
    m.insert("weekday".to_string(), n(i64::from(weekday)));
    m.insert(
        "weekday_name".to_string(),
        string(DAYS[t.weekday().num_days_from_monday() as usize]),
    );
    m.insert("hour".to_string(), n(i64::from(t.hour())));
    m.insert("minute".to_string(), n(i64::from(t.minute())));
    m.insert("second".to_string(), n(i64::from(t.second())));
    m.insert("iso_year".to_string(), n(i64::from(iso.year())));
    m.insert("iso_week".to_string(), n(i64::from(iso.week())));
    m
}

/// `rfc3339_parse(TIMESTAMP)`: the date and time values of an RFC 3339
/// timestamp (`T` or a space between date and time, optional fractional
/// seconds), plus `unix` (seconds).
pub fn rfc3339_parse(_: &FuncCtx, a: &[Value]) -> R {
    let text = str_arg(a, 0)?;
    let normalized = match text.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &text[..10], &text[11..]),
        _ => text.to_string(),
    };
    let t = parse_ts(&normalized, 0)?;
    let mut m = date_parts(&t);
    m.insert("unix".to_string(), Value::Number(t.timestamp() as f64));
    Ok(Value::Map(m))
}

/// `unix_timestamp_parse(SECONDS)`: the date and time values (UTC) of a
/// Unix timestamp, plus its `rfc3339` string.
pub fn unix_timestamp_parse(_: &FuncCtx, a: &[Value]) -> R {
    let secs = int_arg(a, 0)?;
    let t = DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| arg_err(0, "the timestamp is out of range"))?
        .fixed_offset();
    let mut m = date_parts(&t);
    m.insert("rfc3339".to_string(), string(rfc3339(&t)));
    Ok(Value::Map(m))
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
    fn rfc3339_and_unix_timestamp_parse_docs() {
        let want = |extra: (&str, Value)| {
            let n = |v: f64| Value::Number(v);
            let mut m = BTreeMap::new();
            for (k, v) in [
                ("year", n(2023.0)),
                ("year_day", n(206.0)),
                ("month", n(7.0)),
                ("month_name", s("July")),
                ("day", n(25.0)),
                ("weekday", n(2.0)),
                ("weekday_name", s("Tuesday")),
                ("hour", n(23.0)),
                ("minute", n(43.0)),
                ("second", n(16.0)),
                ("iso_year", n(2023.0)),
                ("iso_week", n(30.0)),
                extra,
            ] {
                m.insert(k.to_string(), v);
            }
            Value::Map(m)
        };
        let unix = ("unix", Value::Number(1_690_328_596.0));
        assert_eq!(
            call_ok("rfc3339_parse", &[s("2023-07-25T23:43:16Z")]),
            want(unix.clone())
        );
        // a space instead of T, and fractional seconds
        assert_eq!(
            call_ok("rfc3339_parse", &[s("2023-07-25 23:43:16.250Z")]),
            want(unix)
        );
        assert_eq!(
            call_ok("unix_timestamp_parse", &[Value::Number(1_690_328_596.0)]),
            want(("rfc3339", s("2023-07-25T23:43:16Z")))
        );
        assert!(call("rfc3339_parse", &ctx(), &[s("2023-07-25")]).is_err());
        assert!(call("unix_timestamp_parse", &ctx(), &[Value::Number(1.5)]).is_err());
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
