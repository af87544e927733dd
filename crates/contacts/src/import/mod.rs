//! CSV imports of contacts, run as jobs: an upload streamed into file chunks, a column
//! mapping, create / update / upsert matched on e-mail, external id or id, dry runs, failed
//! rows with reasons, and a revert.

mod bounded;
pub mod dto;
pub mod job;
pub mod mapping;
pub mod model;
pub mod routes;
pub mod service;
