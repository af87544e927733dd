//! The knowledge base: categories and markdown articles with every revision, full-text search
//! on both backends (PostgreSQL's text search, SQLite's FTS5), a public site of the published
//! articles under a slug that needs no login, "was this helpful" votes, and the articles a
//! ticket's subject and description suggest.

pub mod dto;
pub mod model;
pub mod public;
pub mod routes;
pub mod search;
pub mod service;
