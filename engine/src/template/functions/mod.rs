//! Packer's HCL2 function library.
