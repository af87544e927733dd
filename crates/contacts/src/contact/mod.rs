//! Contacts: people, with e-mails, phones, addresses, owner, lifecycle stage, tags and external ids.

pub mod bulk;
pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
