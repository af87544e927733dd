//! Sign-in: e-mail + password → a short-lived JWT and a rotating refresh token.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
