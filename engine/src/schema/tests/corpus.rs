//! Every component of the shared seeds and conformance templates whose
//! type kiln ships validates clean.
