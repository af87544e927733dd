//! The organization's business hours: what SLA targets counted in business time count.

pub mod calendar;
pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
