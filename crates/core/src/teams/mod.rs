//! Teams of users: what `team` record visibility is measured by.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
