//! The organization's base currency and its exchange rates: what forecasts and quota
//! attainment convert amounts with.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
