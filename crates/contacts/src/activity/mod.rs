//! Activities: notes, tasks, calls, meetings and logged e-mails, each about one or more
//! contacts and companies (the `activity_links` table later domains reuse for deals and tickets).

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
