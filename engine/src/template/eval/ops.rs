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

    pub(crate) fn eval_binary(&mut self, op: &BinaryOp) -> EvalResult<Value> {
        let lhs = self.eval(&op.lhs_expr)?;
        let rhs = self.eval(&op.rhs_expr)?;
        let (ls, rs) = (op.lhs_expr.span(), op.rhs_expr.span());
        let operator = *op.operator.value();
        match operator {
            BinaryOperator::Eq | BinaryOperator::NotEq => Ok(match values_equal(&lhs, &rhs) {
                None => Value::Unknown,
                Some(eq) => Value::Bool(eq == (operator == BinaryOperator::Eq)),
            }),
            BinaryOperator::And | BinaryOperator::Or => {
                let l = operand(&lhs, Side::Left, ls, to_bool)?;
                let r = operand(&rhs, Side::Right, rs, to_bool)?;
                let is_and = operator == BinaryOperator::And;
                let deciding = Operand::Known(!is_and);
                match (l, r) {
                    (Operand::Null, _) | (_, Operand::Null) => Err(null_operand(op.span())),
                    // a known deciding operand wins over an unknown one
                    _ if l == deciding || r == deciding => Ok(Value::Bool(!is_and)),
                    (Operand::Known(a), Operand::Known(b)) => {
                        Ok(Value::Bool(if is_and { a && b } else { a || b }))
                    }
                    _ => Ok(Value::Unknown),
                }
            }
            _ => {
                let l = operand(&lhs, Side::Left, ls, to_number)?;
                let r = operand(&rhs, Side::Right, rs, to_number)?;
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

    pub(crate) fn eval_conditional(&mut self, c: &Conditional) -> EvalResult<Value> {
        let cond = self.eval(&c.cond_expr)?;
        let cond = match cond {
            Value::Unknown => None,
            Value::Null => {
                return Err(EvalError::new(
                    "Null condition",
                    "The condition value is null. Conditions must either be true or false.",
                    c.cond_expr.span(),
                ))
            }
            other => Some(to_bool(&other).map_err(|_| {
                EvalError::new(
                    "Incorrect condition type",
                    "The condition expression must be of type bool.",
                    c.cond_expr.span(),
                )
            })?),
        };
        // Both results are evaluated (their types must agree); errors only
        // count for the selected one.
        let t = self.eval(&c.true_expr);
        let f = self.eval(&c.false_expr);
        let (tv, fv) = match (cond, t, f) {
            (None, Ok(t), Ok(f)) => (t, f),
            (None, Err(e), _) | (None, _, Err(e)) => return Err(e),
            (Some(true), Err(e), _) | (Some(false), _, Err(e)) => return Err(e),
            (Some(true), Ok(t), Err(_)) => return Ok(t),
            (Some(false), Err(_), Ok(f)) => return Ok(f),
            (Some(_), Ok(t), Ok(f)) => (t, f),
        };
        let span = match (c.true_expr.span(), c.false_expr.span()) {
            (Some(a), Some(b)) => Some(a.start..b.end),
            _ => c.span(),
        };
        let Some(unified) = unify(&tv, &fv) else {
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
        let chosen = match cond {
            None => return Ok(Value::Unknown),
            Some(true) => tv,
            Some(false) => fv,
        };
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
