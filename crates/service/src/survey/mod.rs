//! Surveys: CSAT (1–5) e-mailed when a ticket is solved, NPS (0–10) e-mailed to a list or
//! filter of contacts; each invitation answered once through a signed link that needs no
//! login; scores per period.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
