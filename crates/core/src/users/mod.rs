//! Users of an organization: invite, roles, deactivation, and `GET /v1/me`.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
