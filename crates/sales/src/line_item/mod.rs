//! Line items, shared by deals, quotes and orders: a product (or free text), a quantity, a
//! unit price, a discount and a tax rate, priced exactly in integer minor units
//! (`pricing`), stored in one table keyed by the record they belong to.

pub mod dto;
pub mod model;
pub mod pricing;
pub mod service;
