//! Parsing type expressions, with HCL's `typeexpr` error wording.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, FuncCall, ObjectKey};
use hcl_edit::Span;

use super::{convert, ObjectAttr, Type, TypeSpecError};

const GENERIC: &str = "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).";

fn err(message: impl Into<String>, span: Option<std::ops::Range<usize>>) -> TypeSpecError {
    TypeSpecError {
        message: message.into(),
        span,
    }
}

/// Parse a type from its source text, e.g. `list(string)`.
pub fn parse_type_str(src: &str) -> Result<Type, TypeSpecError> {
    let expr =
        hcl_edit::parser::parse_expr(src.trim()).map_err(|e| err(e.message().to_string(), None))?;
    Type::from_expr(&expr)
}

/// A type, and for `optional(…)` (only allowed when `in_object_attr`) its
/// default value: `(type, Some(optional default))`.
pub(super) fn type_from_expr(
    expr: &Expression,
    in_object_attr: bool,
) -> Result<(Type, Option<Option<crate::template::Value>>), TypeSpecError> {
    match expr {
        Expression::Parenthesis(p) => type_from_expr(p.inner(), in_object_attr),
        Expression::Variable(v) => {
            let name = v.value().as_str();
            let ty = match name {
                "string" => Type::String,
                "number" => Type::Number,
                "bool" => Type::Bool,
                "any" => Type::Any,
                "list" | "map" | "set" => {
                    return Err(err(
                        format!("The {name} type constructor requires one argument specifying the element type."),
                        v.span(),
                    ))
                }
                "object" => {
                    return Err(err(
                        "The object type constructor requires one argument specifying the attribute types as a map.",
                        v.span(),
                    ))
                }
                "tuple" => {
                    return Err(err(
                        "The tuple type constructor requires one argument specifying the element types as a list.",
                        v.span(),
                    ))
                }
                _ => {
                    return Err(err(
                        format!("The keyword \"{name}\" is not a valid type specification."),
                        v.span(),
                    ))
                }
            };
            Ok((ty, None))
        }
        Expression::FuncCall(call) => type_from_call(call, in_object_attr),
        other => Err(err(GENERIC, other.span())),
    }
}

fn single_arg<'a>(
    call: &'a FuncCall,
    name: &str,
    what: &str,
) -> Result<&'a Expression, TypeSpecError> {
    let args: Vec<&Expression> = call.args.iter().collect();
    match args.as_slice() {
        [one] => Ok(one),
        _ => Err(err(
            format!("The {name} type constructor requires one argument specifying {what}."),
            call.span(),
        )),
    }
}

fn type_from_call(
    call: &FuncCall,
    in_object_attr: bool,
) -> Result<(Type, Option<Option<crate::template::Value>>), TypeSpecError> {
    let name = call.name.name.value().as_str();
    let ty = match name {
        "string" | "number" | "bool" | "any" => {
            return Err(err(
                format!("Primitive type keyword \"{name}\" does not expect arguments."),
                call.span(),
            ))
        }
        "list" | "map" | "set" => {
            let arg = single_arg(call, name, "the element type")?;
            let elem = Box::new(type_from_expr(arg, false)?.0);
            match name {
                "list" => Type::List(elem),
                "map" => Type::Map(elem),
                _ => Type::Set(elem),
            }
        }
        "tuple" => {
            let arg = single_arg(call, name, "the element types as a list")?;
            let Expression::Array(items) = arg else {
                return Err(err(
                    "Tuple type constructor requires a list of element types.",
                    arg.span(),
                ));
            };
            let mut ts = Vec::new();
            for item in items.iter() {
                ts.push(type_from_expr(item, false)?.0);
            }
            Type::Tuple(ts)
        }
        "object" => {
            let arg = single_arg(call, name, "the attribute types as a map")?;
            object_type(arg)?
        }
        "optional" => {
            if !in_object_attr {
                return Err(err(
                    "Keyword \"optional\" is valid only as a modifier for object type attributes.",
                    call.span(),
                ));
            }
            return optional(call);
        }
        _ => {
            return Err(err(
                format!("Keyword \"{name}\" is not a valid type constructor."),
                call.name.name.span(),
            ))
        }
    };
    Ok((ty, None))
}

fn object_type(arg: &Expression) -> Result<Type, TypeSpecError> {
    const NEED_MAP: &str = "Object type constructor requires a map whose keys are attribute names and whose values are the corresponding attribute types.";
    let Expression::Object(obj) = arg else {
        return Err(err(NEED_MAP, arg.span()));
    };
    let mut attrs = BTreeMap::new();
    for (key, value) in obj.iter() {
        let name = match key {
            ObjectKey::Ident(id) => id.value().as_str().to_string(),
            ObjectKey::Expression(Expression::Variable(v)) => v.value().as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
            ObjectKey::Expression(e) => {
                return Err(err(
                    "Object constructor map keys must be attribute names.",
                    e.span(),
                ))
            }
        };
        let (ty, opt) = type_from_expr(value.expr(), true)?;
        attrs.insert(
            name,
            ObjectAttr {
                ty,
                optional: opt.is_some(),
                default: opt.flatten(),
            },
        );
    }
    Ok(Type::Object(attrs))
}

/// `optional(T)` or `optional(T, default)`.
fn optional(
    call: &FuncCall,
) -> Result<(Type, Option<Option<crate::template::Value>>), TypeSpecError> {
    let args: Vec<&Expression> = call.args.iter().collect();
    let (ty_expr, default_expr) = match args.as_slice() {
        [t] => (*t, None),
        [t, d] => (*t, Some(*d)),
        _ => {
            return Err(err(
                "Optional attribute modifier expects at most two arguments: the attribute type, and a default value.",
                call.span(),
            ))
        }
    };
    let ty = type_from_expr(ty_expr, false)?.0;
    let default = match default_expr {
        None => None,
        Some(d) => {
            let value = crate::template::eval::eval_constant(d).map_err(|m| err(m, d.span()))?;
            let value = convert(&value, &ty).map_err(|e| {
                err(
                    format!("This default value is not compatible with the attribute's type constraint: {e}."),
                    d.span(),
                )
            })?;
            if value.is_null() {
                None
            } else {
                Some(value)
            }
        }
    };
    Ok((ty, Some(default)))
}
