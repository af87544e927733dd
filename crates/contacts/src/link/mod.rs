//! Who works where: links between contacts and companies, with a role and one primary company.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
