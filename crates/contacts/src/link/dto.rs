//! Links as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::company::dto::CompanyOut;

/// How a contact is linked to a company.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "Head of Purchasing", "primary": true}))]
pub struct LinkIn {
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub role: Option<String>,
    /// The contact's main company; a contact's first link is primary anyway.
    #[serde(default)]
    pub primary: bool,
}

/// A contact's link to a company.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5b",
    "role": "Head of Purchasing", "primary": true, "created_at": "2026-11-22T19:44:06Z"
}))]
pub struct LinkOut {
    pub contact_id: String,
    pub company_id: String,
    pub role: Option<String>,
    pub primary: bool,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
}

/// A company the contact is linked to, with the link.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactCompany {
    pub company: CompanyOut,
    pub role: Option<String>,
    pub primary: bool,
}

/// Every company a contact is linked to, primary first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactCompanies {
    pub data: Vec<ContactCompany>,
}
