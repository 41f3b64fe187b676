//! Everything Docker, on one Engine API client ([`client`]): the `docker`
//! builder, its communicator (exec and tar copies into the container) and
//! the `docker-import`, `docker-push`, `docker-save` and `docker-tag`
//! post-processors.

pub mod builder;
pub mod client;
pub mod communicator;
pub mod import;
pub mod push;
pub mod save;
pub mod tag;
