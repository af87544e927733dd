//! Forecasts: a period's deals by forecast category, probability-weighted, in the
//! organization's currency, grouped by owner, pipeline or team; and the period parsing quotas
//! share.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
