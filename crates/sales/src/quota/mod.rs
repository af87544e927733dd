//! Quotas: what each user is to win in a period, with the attainment so far.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
