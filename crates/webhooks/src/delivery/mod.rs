//! Deliveries: one per (endpoint, event), with every attempt, and redelivery on request.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
