//! Everything Docker, on one Engine API client ([`client`]): the `docker`
//! builder, its communicator (exec and tar copies into the container) and
//! the `docker-import`, `docker-push`, `docker-save` and `docker-tag`
//! post-processors.

pub mod builder;
pub(crate) mod client;
pub(crate) mod communicator;
pub(crate) mod import;
pub(crate) mod push;
pub(crate) mod save;
pub(crate) mod tag;
