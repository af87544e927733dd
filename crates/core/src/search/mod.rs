//! `GET /v1/search`: one search box across every searchable record type of the registered
//! domains (no model: it reads the search index, which each domain's services keep up to date;
//! a caller sees only the types their role and scopes may read).

pub mod dto;
pub mod routes;
pub mod service;
