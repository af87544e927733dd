//! How each team takes new tickets: by hand, in turn (round robin), or to the member with the
//! fewest unsolved tickets.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
