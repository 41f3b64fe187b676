//! Operators and conditionals.

use hcl_edit::expr::{BinaryOp, BinaryOperator, Conditional, UnaryOp, UnaryOperator};
use hcl_edit::Span;

use super::error::{EvalError, EvalResult};
use super::expr::Evaluator;
use crate::template::types::{to_bool, to_number};
use crate::template::Value;

/// Which side of an operator an operand is on (for error messages).
#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
    Unary,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
            Side::Unary => "unary",
        }
    }
}

fn invalid_operand(side: Side, reason: &str, span: Option<std::ops::Range<usize>>) -> EvalError {
    EvalError::new(
        "Invalid operand",
        format!("Unsuitable value for {} operand: {reason}.", side.name()),
        span,
    )
}

/// A converted operand.
#[derive(Clone, Copy, PartialEq)]
enum Operand<T> {
    Unknown,
    Null,
    Known(T),
}

/// Convert an operand with `conv`; conversion failures are "Invalid operand".
fn operand<T>(
    v: &Value,
    side: Side,
    span: Option<std::ops::Range<usize>>,
    conv: fn(&Value) -> Result<T, String>,
) -> EvalResult<Operand<T>> {
    match v {
        Value::Unknown => Ok(Operand::Unknown),
        Value::Null => Ok(Operand::Null),
        _ => conv(v)
            .map(Operand::Known)
            .map_err(|e| invalid_operand(side, &e, span)),
    }
}

/// An operand's value, or unknown with its error.
fn split(r: EvalResult<Value>) -> (Value, Option<EvalError>) {
    match r {
        Ok(v) => (v, None),
        Err(e) => (Value::Unknown, Some(e)),
    }
}

/// Both operands converted; conversion errors are reported first, followed
/// by the operands' own errors.
fn converted<T>(
    lhs: &Value,
    rhs: &Value,
    ls: Option<std::ops::Range<usize>>,
    rs: Option<std::ops::Range<usize>>,
    conv: fn(&Value) -> Result<T, String>,
    l_err: &Option<EvalError>,
    r_err: &Option<EvalError>,
) -> EvalResult<(Operand<T>, Operand<T>)> {
    let l = operand(lhs, Side::Left, ls, conv);
    let r = operand(rhs, Side::Right, rs, conv);
    match (l, r) {
        (Ok(l), Ok(r)) => Ok((l, r)),
        (Err(e), r) => Err(e.followed_by([r.err(), l_err.clone(), r_err.clone()])),
        (Ok(_), Err(e)) => Err(e.followed_by([l_err.clone(), r_err.clone()])),
    }
}

/// HCL's short-circuit rules for `&&` (`is_and`) and `||`: a known
/// deciding operand wins (dropping the other side's errors); an unknown
/// operand decides when the other side cannot.
fn short_circuit(
    is_and: bool,
    l: Operand<bool>,
    r: Operand<bool>,
    l_err: &Option<EvalError>,
    r_err: &Option<EvalError>,
) -> Option<EvalResult<Value>> {
    let deciding = Operand::Known(!is_and);
    let other = Operand::Known(is_and);
    let unknown_unless = |err: &Option<EvalError>| match err {
        Some(e) => Err(e.clone()),
        None => Ok(Value::Unknown),
    };
    match (l, r) {
        (Operand::Unknown, Operand::Unknown) if l_err.is_none() => Some(Ok(Value::Unknown)),
        (Operand::Unknown, Operand::Unknown) => None,
        _ if l == deciding || r == deciding => Some(Ok(Value::Bool(!is_and))),
        (Operand::Unknown, x) if x == other => Some(unknown_unless(l_err)),
        (x, Operand::Unknown) if x == other => Some(unknown_unless(r_err)),
        _ => None,
    }
}

fn null_operand(span: Option<std::ops::Range<usize>>) -> EvalError {
    EvalError::new(
        "Operation failed",
        "Error during operation: argument must not be null.",
        span,
    )
}

/// Structural equality with HCL's typing: values of different types are
/// never equal (`1 == "1"` is false). `None` when either side is unknown.
pub(crate) fn values_equal(a: &Value, b: &Value) -> Option<bool> {
    if a.is_unknown() || b.is_unknown() {
        return None;
    }
    Some(a == b)
}

impl Evaluator<'_> {
    pub(crate) fn eval_unary(&mut self, op: &UnaryOp) -> EvalResult<Value> {
        let v = self.eval(&op.expr)?;
        let span = op.expr.span();
        match op.operator.value() {
            UnaryOperator::Neg => match operand(&v, Side::Unary, span, to_number)? {
                Operand::Unknown => Ok(Value::Unknown),
                Operand::Null => Err(null_operand(op.span())),
                Operand::Known(n) => Ok(Value::Number(-n)),
            },
            UnaryOperator::Not => match operand(&v, Side::Unary, span, to_bool)? {
                Operand::Unknown => Ok(Value::Unknown),
                Operand::Null => Err(null_operand(op.span())),
                Operand::Known(b) => Ok(Value::Bool(!b)),
            },
        }
    }

    /// A binary operation, in HCL's order: both operands are evaluated
    /// (a failed one counts as unknown) and converted; conversion errors
    /// come first, then the operands' own errors, unless `&&`/`||`
    /// short-circuit.
    pub(crate) fn eval_binary(&mut self, op: &BinaryOp) -> EvalResult<Value> {
        let lhs = self.eval(&op.lhs_expr);
        if matches!(&lhs, Err(e) if e.fatal) {
            return lhs;
        }
        let rhs = self.eval(&op.rhs_expr);
        if matches!(&rhs, Err(e) if e.fatal) {
            return rhs;
        }
        let (lhs, l_err) = split(lhs);
        let (rhs, r_err) = split(rhs);
        let (ls, rs) = (op.lhs_expr.span(), op.rhs_expr.span());
        let operator = *op.operator.value();
        match operator {
            BinaryOperator::Eq | BinaryOperator::NotEq => {
                if let Some(e) = EvalError::join([l_err, r_err].into_iter().flatten().collect()) {
                    return Err(e);
                }
                Ok(match values_equal(&lhs, &rhs) {
                    None => Value::Unknown,
                    Some(eq) => Value::Bool(eq == (operator == BinaryOperator::Eq)),
                })
            }
            BinaryOperator::And | BinaryOperator::Or => {
                let (l, r) = converted(&lhs, &rhs, ls, rs, to_bool, &l_err, &r_err)?;
                let is_and = operator == BinaryOperator::And;
                if let Some(result) = short_circuit(is_and, l, r, &l_err, &r_err) {
                    return result;
                }
                if let Some(e) = EvalError::join([l_err, r_err].into_iter().flatten().collect()) {
                    return Err(e);
                }
                match (l, r) {
                    (Operand::Known(a), Operand::Known(b)) => {
                        Ok(Value::Bool(if is_and { a && b } else { a || b }))
                    }
                    (Operand::Unknown, _) | (_, Operand::Unknown) => Ok(Value::Unknown),
                    _ => Err(null_operand(op.span())),
                }
            }
            _ => {
                let (l, r) = converted(&lhs, &rhs, ls, rs, to_number, &l_err, &r_err)?;
                if let Some(e) = EvalError::join([l_err, r_err].into_iter().flatten().collect()) {
                    return Err(e);
                }
                let (a, b) = match (l, r) {
                    (Operand::Unknown, _) | (_, Operand::Unknown) => return Ok(Value::Unknown),
                    (Operand::Known(a), Operand::Known(b)) => (a, b),
                    _ => return Err(null_operand(op.span())),
                };
                arithmetic(operator, a, b).map_err(|msg| {
                    EvalError::new(
                        "Operation failed",
                        format!("Error during operation: {msg}."),
                        op.span(),
                    )
                })
            }
        }
    }

    /// `c ? a : b`, in HCL's order: both results are evaluated and their
    /// types unified first; then only the selected result's errors count
    /// (none when the condition is unknown).
    pub(crate) fn eval_conditional(&mut self, c: &Conditional) -> EvalResult<Value> {
        let t = self.eval(&c.true_expr);
        let f = self.eval(&c.false_expr);
        for r in [&t, &f] {
            if let Err(e) = r {
                if e.fatal {
                    return Err(e.clone());
                }
            }
        }
        // A result that failed counts as unknown for unification.
        let tv = t.as_ref().unwrap_or(&Value::Unknown);
        let fv = f.as_ref().unwrap_or(&Value::Unknown);
        let span = match (c.true_expr.span(), c.false_expr.span()) {
            (Some(a), Some(b)) => Some(a.start..b.end),
            _ => c.span(),
        };
        let Some(unified) = unify(tv, fv) else {
            return Err(EvalError::new(
                "Inconsistent conditional result types",
                format!(
                    "The true and false result expressions must have consistent types. The 'true' value is {}, but the 'false' value is {}.",
                    tv.type_name(),
                    fv.type_name()
                ),
                span,
            ));
        };
        let cond = match self.eval(&c.cond_expr)? {
            Value::Unknown if tv.is_null() && fv.is_null() => return Ok(Value::Null),
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => {
                return Err(EvalError::new(
                    "Null condition",
                    "The condition value is null. Conditions must either be true or false.",
                    c.cond_expr.span(),
                ))
            }
            other => to_bool(&other).map_err(|_| {
                EvalError::new(
                    "Incorrect condition type",
                    "The condition expression must be of type bool.",
                    c.cond_expr.span(),
                )
            })?,
        };
        let chosen = if cond { t? } else { f? };
        Ok(match unified {
            Unified::AsIs => chosen,
            Unified::String => match chosen.to_display_string() {
                Some(s) => Value::String(s),
                None => chosen,
            },
        })
    }
}

enum Unified {
    AsIs,
    String,
}

/// Whether the two results of a conditional have compatible types, and
/// whether mixed primitives are unified to string (as cty does).
fn unify(a: &Value, b: &Value) -> Option<Unified> {
    use Value::*;
    match (a, b) {
        (Null | Unknown, _) | (_, Null | Unknown) => Some(Unified::AsIs),
        (Bool(_), Bool(_)) | (Number(_), Number(_)) | (String(_), String(_)) => Some(Unified::AsIs),
        (Bool(_) | Number(_) | String(_), Bool(_) | Number(_) | String(_)) => Some(Unified::String),
        (List(_), List(_)) | (Map(_), Map(_)) => Some(Unified::AsIs),
        _ => None,
    }
}

fn arithmetic(op: BinaryOperator, a: f64, b: f64) -> Result<Value, &'static str> {
    Ok(match op {
        BinaryOperator::Plus => Value::Number(a + b),
        BinaryOperator::Minus => Value::Number(a - b),
        BinaryOperator::Mul => Value::Number(a * b),
        BinaryOperator::Div => {
            if a == 0.0 && b == 0.0 {
                return Err("can't divide zero by zero");
            }
            Value::Number(a / b)
        }
        BinaryOperator::Mod => {
            if b == 0.0 {
                return Err("can't use modulo by zero");
            }
            Value::Number(a % b)
        }
        BinaryOperator::Less => Value::Bool(a < b),
        BinaryOperator::LessEq => Value::Bool(a <= b),
        BinaryOperator::Greater => Value::Bool(a > b),
        BinaryOperator::GreaterEq => Value::Bool(a >= b),
        BinaryOperator::Eq | BinaryOperator::NotEq | BinaryOperator::And | BinaryOperator::Or => {
            return Err("unsupported operator")
        }
    })
}
