//! The organization's e-mail suppression list: addresses marketing must not write to
//! (unsubscribed, bounced, complained). [`service::is_suppressed`] is the check senders call.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
