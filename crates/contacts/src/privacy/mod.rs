//! Personal-data requests and retention: the export of everything held about a person, erasure
//! (anonymization everywhere, with a keyed hash of each erased e-mail so a re-import cannot bring
//! the person back silently), and the purge of records trashed longer than the retention period.

pub mod dto;
pub mod model;
pub mod purge;
pub mod routes;
pub mod service;
