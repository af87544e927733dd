//! Pipelines and their ordered stages: one record, so a change of stages (added, renamed,
//! reordered, removed) is one versioned write.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
