//! The event outbox and the changes feed.
//!
//! Every change inserts its event in its own transaction ([`model::emit`]). The public `seq`
//! is what readers page by, and it must never let a reader skip an event. On SQLite there is
//! one writer, so `seq` is stamped at insert. On PostgreSQL transactions commit out of order,
//! so events are inserted without `seq` and one serial sequencer ([`model::sequence`], under an
//! advisory lock) stamps committed events later: an event that commits after a reader passed
//! position N is stamped above N, and readers only ever see stamped events.

pub mod catalog;
pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
