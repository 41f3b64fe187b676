//! Post-processor schemas. The common settings (`only`, `except`,
//! `keep_input_artifact`, `name`) are handled by the front ends.
