//! The audit log: who changed what, when, field by field. Written by [`crate::change::record`]
//! in the change's transaction; read by admins at `GET /v1/audit-log`.

pub mod dto;
pub mod model;
pub mod routes;
