//! Tickets: a customer's request, from new to closed.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
