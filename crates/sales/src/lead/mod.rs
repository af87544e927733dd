//! Leads: people and companies not yet qualified, with their BANT qualification, until they
//! are converted into a contact (with its company and, if asked, a deal).

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
