//! Data source schemas.
