//! Subscription types (newsletters, product updates…) per organization, and each contact's
//! subscription status per type.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
