//! A record's timeline (its activities and field changes, newest first, in one cursor-paged
//! list) and its field history. Each kind of item comes from a source that pages on
//! (time, id); later domains add their sources (deals, tickets) beside these.

pub mod dto;
pub mod routes;
pub mod service;
