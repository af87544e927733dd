//! Customer health: each company's score (0–100) and band from weighted components (ticket
//! volume trend, CSAT, NPS, engagement recency; overdue invoices once accounting data exists),
//! recomputed when its tickets change and nightly, the components shown.

pub mod dto;
pub mod routes;
pub mod service;
