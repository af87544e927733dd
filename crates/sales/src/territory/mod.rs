//! Sales territories: companies by country, region, industry and size, each territory with
//! the rep who owns it. The alignment job records every company's territory and, when it
//! changes, gives the company and its open deals the territory's owner; a deal created for a
//! company without an owner takes the owner of the territory its company is in now.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
