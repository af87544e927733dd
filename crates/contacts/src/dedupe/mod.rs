//! Duplicate detection and merge: `POST /v1/contacts/duplicates`, `POST /v1/companies/duplicates`
//! (the finder in `matcher`) and `POST /v1/contacts/{id}/merge`.

pub mod dto;
pub mod matcher;
pub mod model;
pub mod routes;
pub mod service;
