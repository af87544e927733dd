//! Service KPIs for any period: response and resolution times (business and calendar time),
//! first-contact resolution, reopens, volume by period and channel, SLA attainment, and the
//! backlog now.

pub mod dto;
pub mod routes;
pub mod service;
