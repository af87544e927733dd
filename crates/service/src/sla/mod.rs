//! SLA policies and the targets they give tickets: due times in business hours, paused while
//! pending, warnings and breaches announced and escalated by a scheduled scan.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
