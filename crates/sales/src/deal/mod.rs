//! Deals: the opportunities a pipeline's stages move forward, with the people on them, their
//! stage history, the board and the sales summary.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod totals;
