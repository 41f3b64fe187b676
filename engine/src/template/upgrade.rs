//! JSON → HCL2 upgrade (in progress).
