//! Lowering: the spec (a normalized JSON document) to the IR ([`crate::ir`]). `schemas` builds
//! named Rust types from schemas (`allof` merges `allOf` members, `type_names` names inline
//! types once every operation has been read); `operations` builds one [`crate::ir::Op`] per
//! kept operation from its `parameters`, request body and `responses`, read through `spec`, a
//! typed borrowed view of the operation nodes.

pub(crate) mod allof;
pub(crate) mod media;
pub(crate) mod operations;
pub(crate) mod parameters;
pub(crate) mod responses;
pub(crate) mod schemas;
pub(crate) mod spec;
pub(crate) mod type_names;
