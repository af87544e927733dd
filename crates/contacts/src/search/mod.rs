//! `GET /v1/search`: one search box across contacts and companies (no model: it reads the
//! search index of crm-core, which the contact and company services keep up to date).

pub mod dto;
pub mod routes;
pub mod service;
