//! Price books: named price lists (a partner list, a region's) with a price per product and
//! currency, which quotes price their lines from.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
