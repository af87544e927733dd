//! E-mail to ticket: a raw message a mail provider hands over becomes a new ticket or a
//! comment on the ticket it answers.

pub mod dto;
pub mod routes;
pub mod service;
