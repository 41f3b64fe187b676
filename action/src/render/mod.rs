//! Views of the engine's data for a terminal: Packer-shaped build output.

pub mod actions;
pub mod text;
