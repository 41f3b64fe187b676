//! Packer templates: the value model, the function library, HCL2 and legacy
//! JSON front ends and evaluation.

pub mod eval;
pub mod functions;
pub mod hcl2;
pub mod json;
pub mod load;
pub mod model;
pub mod options;
pub mod types;
pub mod upgrade;
pub mod value;
pub mod vars;

pub use options::LoadOptions;
pub use value::Value;
