//! The customer portal: contacts signed in with customer tokens (`crm_core::auth::customer`)
//! list, read and open their own tickets, reply, rate solved ones, and read the published
//! knowledge base. A token comes from the organization's backend (`POST /v1/customer-tokens`)
//! or from a one-time code e-mailed to the contact. Nothing else answers a customer but 404.

pub mod dto;
pub mod routes;
pub mod service;
