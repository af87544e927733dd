//! Lead scoring: rules per organization giving points for field conditions (the filter
//! language) and for activity counts in a window, with decay; every lead's score, explained.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
