//! Deep nesting: a located error past the limit, never a stack overflow.

use super::*;

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    use hcl_edit::expr::{Array, Expression};
    // Deeper than the parser allows: build the tree directly.
    let mut e = Expression::from(1);
    for _ in 0..300 {
        let mut a = Array::new();
        a.push(e);
        e = Expression::Array(a);
    }
    let file = SourceFile::new("t.pkr.hcl", "");
    let err = eval_expr(&e, &scope(), &file).expect_err("too deep");
    assert_eq!(err.0[0].summary, "Expression too deeply nested");
    assert_eq!(
        err.0[0].detail,
        "Expressions may be nested at most 256 levels deep."
    );
    // the deepest the parser accepts evaluates fine
    let src = format!("{}1{}", "[".repeat(60), "]".repeat(60));
    let mut v = eval(&src);
    for _ in 0..60 {
        let Value::List(mut items) = v else {
            panic!("list")
        };
        v = items.remove(0);
    }
    assert_eq!(v, n(1.0));
}

/// A tree `levels` deep of one kind of expression around `1`.
pub(super) fn nested(kind: &str, levels: usize) -> hcl_edit::expr::Expression {
    use hcl_edit::expr::*;
    use hcl_edit::template::{Element, Interpolation, StringTemplate};
    use hcl_edit::{Decorated, Ident};
    let mut e = Expression::from(1);
    for _ in 0..levels {
        e = match kind {
            "array" => Expression::Array(Array::from(vec![e])),
            "binary" => {
                BinaryOp::new(e, Decorated::new(BinaryOperator::Plus), Expression::from(1)).into()
            }
            "call" => FuncCall::new(Ident::new("try"), FuncArgs::from(vec![e])).into(),
            "cond" => Conditional::new(Expression::from(true), e, Expression::from(0)).into(),
            "paren" => Parenthesis::new(e).into(),
            "template" => StringTemplate::from(vec![
                Element::from("a"),
                Element::from(Interpolation::new(e)),
            ])
            .into(),
            "for" => ForExpr::new(
                ForIntro::new(Ident::new("x"), Expression::Array(Array::from(vec![e]))),
                Expression::Variable(Decorated::new(Ident::new("x"))),
            )
            .into(),
            "index" => Traversal::new(
                Expression::Array(Array::from(vec![e])),
                vec![Decorated::new(TraversalOperator::Index(Expression::from(
                    0,
                )))],
            )
            .into(),
            _ => Expression::Object(Object::from_iter([(
                ObjectKey::from(Ident::new("a")),
                ObjectValue::new(e),
            )])),
        };
    }
    e
}

#[test]
fn nesting_beyond_the_limit_is_an_error_on_a_small_stack() {
    let run = || {
        let file = SourceFile::new("t.pkr.hcl", "");
        for kind in [
            "array", "binary", "call", "cond", "paren", "template", "for", "index", "object",
        ] {
            // within the limit: evaluates
            let ok = nested(kind, 100);
            assert!(eval_expr(&ok, &scope(), &file).is_ok(), "{kind}");
            // beyond it: a located error, not a crash
            let deep = nested(kind, 400);
            let err = eval_expr(&deep, &scope(), &file).expect_err(kind);
            assert_eq!(err.0[0].summary, "Expression too deeply nested", "{kind}");
            let refs = crate::template::eval::references(&deep);
            assert!(refs.len() <= 1, "{kind}");
        }
    };
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(run)
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}
