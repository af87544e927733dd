//! `/v1/webhook-endpoints`: where an organization's events are delivered, and how.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
