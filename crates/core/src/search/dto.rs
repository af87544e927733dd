//! Search results as the API shows them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A record type `GET /v1/search` covers: `contact`, `company`… (the contract lists every
/// searchable type of the registered domains).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct SearchType(pub String);

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to find: each must start a word of the record's names, e-mails, phone numbers
    /// (with or without the country code), company name or domain. Case is ignored.
    #[param(example = "ada lov", min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub q: String,
    /// Comma-separated record types (`contact,company`); all of them by default.
    #[param(example = "contact,company")]
    pub types: Option<String>,
    /// Results, 1–50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// One record found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    #[serde(rename = "type")]
    pub record_type: SearchType,
    pub id: String,
    /// The name (a contact without one: the e-mail).
    pub title: String,
    /// The primary e-mail or phone of a contact, the domain of a company.
    pub subtitle: Option<String>,
    /// Where to read the whole record.
    pub url: String,
}

/// The best matches, best first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [
    {"type": "contact", "id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "title": "Ada Lovelace", "subtitle": "ada@example.com", "url": "/v1/contacts/con_01jbz3m3x7f6ks6q0vd1tq2n5a"},
    {"type": "company", "id": "co_01jbz3m3x7f6ks6q0vd1tq2n5b", "title": "Ada Analytics", "subtitle": "ada.example", "url": "/v1/companies/co_01jbz3m3x7f6ks6q0vd1tq2n5b"}
]}))]
pub struct SearchResults {
    pub data: Vec<SearchHit>,
}
