//! A ticket's conversation: public replies (an agent's e-mailed to the requester, threaded)
//! and internal notes.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
