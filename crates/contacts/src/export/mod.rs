//! CSV exports of contacts, run as jobs: a filter in the filter language and the columns to
//! write; the CSV is stored in file chunks and downloaded as a stream.

pub mod dto;
pub mod job;
pub mod model;
pub mod routes;
pub mod service;
