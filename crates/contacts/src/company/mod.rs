//! Companies (accounts): name, domain, industry, size, annual revenue, parent company, owner, tags.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
