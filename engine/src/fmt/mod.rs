//! hclwrite-compatible formatter (see issue 3).
