//! API keys: created (shown once), stored as a keyed hash, scoped, revocable.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
