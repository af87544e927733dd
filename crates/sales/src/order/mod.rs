//! Orders: what a customer bought, with its lines, numbered per organization (O-0001), from an
//! accepted quote or directly (and, later, from e-commerce); the purchase history of contacts
//! and companies is read from them.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
