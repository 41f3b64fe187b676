//! Numeric functions.

use super::helpers::{arg_err, failed, int_arg, list_arg, num_arg, str_arg, R};
use super::{FuncCtx, FuncError};
use crate::template::Value;

fn finite(n: f64) -> R {
    if n.is_finite() {
        Ok(Value::Number(n))
    } else if n.is_nan() {
        Err(failed("the result is not a number"))
    } else {
        Err(failed("the result is too large to be represented"))
    }
}

pub fn abs(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::Number(num_arg(a, 0)?.abs()))
}

pub fn ceil(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::Number(num_arg(a, 0)?.ceil()))
}

pub fn floor(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::Number(num_arg(a, 0)?.floor()))
}

pub fn signum(_: &FuncCtx, a: &[Value]) -> R {
    let n = num_arg(a, 0)?;
    Ok(Value::Number(if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

pub fn log(_: &FuncCtx, a: &[Value]) -> R {
    let n = num_arg(a, 0)?;
    let base = num_arg(a, 1)?;
    finite(n.ln() / base.ln())
}

pub fn pow(_: &FuncCtx, a: &[Value]) -> R {
    finite(num_arg(a, 0)?.powf(num_arg(a, 1)?))
}

fn extreme(a: &[Value], pick: fn(f64, f64) -> f64) -> R {
    let mut acc = num_arg(a, 0)?;
    for i in 1..a.len() {
        acc = pick(acc, num_arg(a, i)?);
    }
    Ok(Value::Number(acc))
}

pub fn max(_: &FuncCtx, a: &[Value]) -> R {
    extreme(a, f64::max)
}

pub fn min(_: &FuncCtx, a: &[Value]) -> R {
    extreme(a, f64::min)
}

pub fn sum(_: &FuncCtx, a: &[Value]) -> R {
    let list = list_arg(a, 0)?;
    if list.is_empty() {
        return Err(arg_err(0, "cannot sum an empty list"));
    }
    let mut total = 0.0;
    for i in 0..list.len() {
        total += num_arg(list, i)
            .map_err(|_| arg_err(0, "argument must be list, set, or tuple of number values"))?;
    }
    finite(total)
}

pub fn parseint(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let base = int_arg(a, 1)?;
    if !(2..=62).contains(&base) {
        return Err(arg_err(
            1,
            "base must be a whole number between 2 and 62 inclusive",
        ));
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let bad =
        || -> FuncError { arg_err(0, format!("cannot parse {s:?} as a base {base} integer")) };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut acc: f64 = 0.0;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
            'A'..='Z' => c as i64 - 'A' as i64 + 36,
            _ => return Err(bad()),
        };
        if d >= base {
            return Err(bad());
        }
        acc = acc * base as f64 + d as f64;
    }
    finite(if neg { -acc } else { acc })
}

/// cty's limit on the length of `range` results.
const RANGE_LIMIT: f64 = 1024.0;

pub fn range(_: &FuncCtx, a: &[Value]) -> R {
    let (start, limit) = match a.len() {
        1 => (0.0, num_arg(a, 0)?),
        _ => (num_arg(a, 0)?, num_arg(a, 1)?),
    };
    let step = match a.get(2) {
        Some(_) => num_arg(a, 2)?,
        None if limit < start => -1.0,
        None => 1.0,
    };
    let step_index = if a.len() == 3 { 2 } else { a.len() - 1 };
    if step == 0.0 || !step.is_finite() || !start.is_finite() || !limit.is_finite() {
        return Err(arg_err(
            step_index,
            "step must not be zero and all arguments must be finite",
        ));
    }
    if (limit - start) / step > RANGE_LIMIT {
        return Err(failed("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"));
    }
    let mut out = Vec::new();
    let mut v = start;
    while (step > 0.0 && v < limit) || (step < 0.0 && v > limit) {
        out.push(Value::Number(v));
        v += step;
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, l, n, s};
    use crate::template::functions::call;

    #[test]
    fn docs_examples() {
        assert_eq!(call_ok("abs", &[n(-12.4)]), n(12.4));
        assert_eq!(call_ok("ceil", &[n(4.1)]), n(5.0));
        assert_eq!(call_ok("floor", &[n(4.9)]), n(4.0));
        assert_eq!(call_ok("log", &[n(16.0), n(2.0)]), n(4.0));
        assert_eq!(call_ok("max", &[n(12.0), n(54.0), n(3.0)]), n(54.0));
        assert_eq!(call_ok("min", &[n(12.0), n(54.0), n(3.0)]), n(3.0));
        assert_eq!(call_ok("pow", &[n(3.0), n(2.0)]), n(9.0));
        assert_eq!(call_ok("pow", &[n(4.0), n(0.0)]), n(1.0));
        assert!(call("pow", &ctx(), &[n(10.0), n(400.0)]).is_err());
        assert_eq!(call_ok("signum", &[n(-13.0)]), n(-1.0));
        assert_eq!(call_ok("signum", &[n(0.0)]), n(0.0));
        assert_eq!(call_ok("parseint", &[s("100"), n(10.0)]), n(100.0));
        assert_eq!(call_ok("parseint", &[s("FF"), n(16.0)]), n(255.0));
        assert_eq!(call_ok("parseint", &[s("-10"), n(16.0)]), n(-16.0));
        assert_eq!(
            call_ok("parseint", &[s("1011111011101111"), n(2.0)]),
            n(48879.0)
        );
        assert_eq!(call_ok("parseint", &[s("aA"), n(62.0)]), n(656.0));
        assert!(call("parseint", &ctx(), &[s("12"), n(2.0)]).is_err());
        assert_eq!(
            call_ok("sum", &[l(vec![n(10.0), n(13.0), n(6.0), n(4.5)])]),
            n(33.5)
        );
        assert!(call("sum", &ctx(), &[l(vec![])]).is_err());
        assert_eq!(call_ok("range", &[n(3.0)]), l(vec![n(0.0), n(1.0), n(2.0)]));
        assert_eq!(
            call_ok("range", &[n(1.0), n(4.0)]),
            l(vec![n(1.0), n(2.0), n(3.0)])
        );
        assert_eq!(
            call_ok("range", &[n(1.0), n(8.0), n(2.0)]),
            l(vec![n(1.0), n(3.0), n(5.0), n(7.0)])
        );
        assert_eq!(
            call_ok("range", &[n(4.0), n(1.0)]),
            l(vec![n(4.0), n(3.0), n(2.0)])
        );
        assert_eq!(
            call_ok("range", &[n(10.0), n(5.0), n(-2.0)]),
            l(vec![n(10.0), n(8.0), n(6.0)])
        );
        assert!(call("range", &ctx(), &[n(1e12)]).is_err());
        assert!(call("range", &ctx(), &[n(1.0), n(5.0), n(0.0)]).is_err());
    }
}
