//! Quotes: a deal's priced offer, numbered per organization without gaps (Q-0001), drafted,
//! sent, then accepted (which can create the order), rejected or expired.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
