//! Products: what is sold, by SKU (unique per organization), with a list price per currency.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
