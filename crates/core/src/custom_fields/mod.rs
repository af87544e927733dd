//! Custom fields: typed definitions per organization and record type (contacts, companies, and
//! later deals and tickets), the checking of values on write, and the index that lets the filter
//! language and sorts address them as `custom.<key>`.
//!
//! A record stores its values as one JSON object (what the API returns); `custom_field_values`
//! holds one row per value for filters and sorts. Definitions are never destroyed: deleting one
//! archives it, which hides its values without touching them, and restoring brings them back.
//! Rule changes apply to values written afterwards; stored values are not re-checked.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod values;

pub use values::Schema;
