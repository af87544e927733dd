//! Lead assignment rules: which team a lead goes to (every lead, or those matching a filter of
//! the filter language, such as a territory's countries or industries) and how its owner is
//! picked there: round robin or the least-loaded member. Applied to a lead created without an
//! owner, and on demand.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
