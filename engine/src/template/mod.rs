//! Packer templates: the value model, the function library, HCL2 and legacy
//! JSON front ends and evaluation.

pub mod functions;
pub mod json;
pub mod model;
pub mod options;
pub mod upgrade;
pub mod value;

pub use options::LoadOptions;
pub use value::Value;
