//! Consent per contact and channel (e-mail, SMS, phone): status, lawful basis, source, time.
//! The current state is a row per channel; every change is an audit entry of the contact.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
