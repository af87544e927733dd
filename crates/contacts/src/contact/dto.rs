//! Contacts as the API shows and takes them.

use std::collections::BTreeMap;

use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Contact;
pub use crate::common::{Address, ChannelKind};

/// Where a person is in the customer journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    Subscriber,
    Lead,
    MarketingQualified,
    SalesQualified,
    Opportunity,
    Customer,
    Evangelist,
    Other,
}

impl LifecycleStage {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::Subscriber => "subscriber",
            LifecycleStage::Lead => "lead",
            LifecycleStage::MarketingQualified => "marketing_qualified",
            LifecycleStage::SalesQualified => "sales_qualified",
            LifecycleStage::Opportunity => "opportunity",
            LifecycleStage::Customer => "customer",
            LifecycleStage::Evangelist => "evangelist",
            LifecycleStage::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<LifecycleStage> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailEntry {
    /// Stored lower-cased.
    #[schema(format = Email, example = "ada@example.com")]
    pub address: String,
    #[serde(rename = "type", default)]
    pub kind: ChannelKind,
    /// One e-mail is primary; the first is when none is marked.
    #[serde(default)]
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneEntry {
    /// Any common format; stored in E.164. National numbers are read in the organization's region (US).
    #[schema(example = "+14155552671")]
    pub number: String,
    #[serde(rename = "type", default)]
    pub kind: ChannelKind,
    #[serde(default)]
    pub primary: bool,
}

/// A new contact: it needs a name or an e-mail.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "first_name": "Ada", "last_name": "Lovelace",
    "emails": [{"address": "ada@example.com", "type": "work"}],
    "phones": [{"number": "+44 20 7946 0958", "type": "mobile"}],
    "job_title": "Analyst", "lifecycle_stage": "lead", "lead_source": "website",
    "tags": ["vip"], "external_ids": {"shopify": "7712"}
}))]
pub struct ContactIn {
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub emails: Option<Vec<EmailEntry>>,
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub phones: Option<Vec<PhoneEntry>>,
    #[validate(length(max = 10), nested)]
    #[schema(max_items = 10)]
    pub addresses: Option<Vec<Address>>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub job_title: Option<String>,
    /// Default `lead`.
    pub lifecycle_stage: Option<LifecycleStage>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub lead_source: Option<String>,
    /// An active user of the organization.
    pub owner_id: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `{"<source>": "<id>"}`, unique per organization and source.
    pub external_ids: Option<BTreeMap<String, String>>,
    /// Values of the organization's custom fields, by key (see `/v1/custom-fields`).
    #[schema(value_type = Option<Object>, example = json!({"tier": "gold"}))]
    pub custom: Option<Map<String, Value>>,
}

/// Changes to a contact (JSON merge patch): lists replace the whole list; `null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lifecycle_stage": "customer", "tags": ["vip", "renewal"]}))]
pub struct ContactPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub first_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub last_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<EmailEntry>>)]
    pub emails: Patch<Vec<EmailEntry>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<PhoneEntry>>)]
    pub phones: Patch<Vec<PhoneEntry>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Address>>)]
    pub addresses: Patch<Vec<Address>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub job_title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = LifecycleStage)]
    pub lifecycle_stage: Patch<LifecycleStage>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub lead_source: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub owner_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub external_ids: Patch<BTreeMap<String, String>>,
    /// Merged key by key: a key set to `null` removes that value, keys not given are kept.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom: Patch<Map<String, Value>>,
}

/// A person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "first_name": "Ada", "last_name": "Lovelace",
    "email": "ada@example.com", "phone": "+442079460958",
    "emails": [{"address": "ada@example.com", "type": "work", "primary": true}],
    "phones": [{"number": "+442079460958", "type": "mobile", "primary": true}],
    "addresses": [], "job_title": "Analyst", "lifecycle_stage": "lead", "lead_source": "website",
    "owner_id": null, "tags": ["vip"], "external_ids": {"shopify": "7712"}, "custom": {"tier": "gold"},
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct ContactOut {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The primary e-mail.
    pub email: Option<String>,
    /// The primary phone, E.164.
    pub phone: Option<String>,
    pub emails: Vec<EmailEntry>,
    pub phones: Vec<PhoneEntry>,
    pub addresses: Vec<Address>,
    pub job_title: Option<String>,
    pub lifecycle_stage: LifecycleStage,
    pub lead_source: Option<String>,
    pub owner_id: Option<String>,
    pub tags: Vec<String>,
    pub external_ids: BTreeMap<String, String>,
    /// Values of the organization's custom fields, by key.
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        ContactOut {
            id: c.id,
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone,
            emails: serde_json::from_str(&c.emails).unwrap_or_default(),
            phones: serde_json::from_str(&c.phones).unwrap_or_default(),
            addresses: serde_json::from_str(&c.addresses).unwrap_or_default(),
            job_title: c.job_title,
            lifecycle_stage: LifecycleStage::parse(&c.lifecycle_stage).unwrap_or(LifecycleStage::Other),
            lead_source: c.lead_source,
            owner_id: c.owner_id,
            tags: serde_json::from_str(&c.tags).unwrap_or_default(),
            external_ids: serde_json::from_str(&c.external_ids).unwrap_or_default(),
            custom: crm_core::custom_fields::values::parse_stored(&c.custom),
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

impl From<ContactOut> for ContactIn {
    /// The contact as input, to apply a patch to.
    fn from(c: ContactOut) -> Self {
        ContactIn {
            first_name: c.first_name,
            last_name: c.last_name,
            emails: Some(c.emails),
            phones: Some(c.phones),
            addresses: Some(c.addresses),
            job_title: c.job_title,
            lifecycle_stage: Some(c.lifecycle_stage),
            lead_source: c.lead_source,
            owner_id: c.owner_id,
            tags: Some(c.tags),
            external_ids: Some(c.external_ids),
            custom: Some(c.custom),
        }
    }
}

/// Filters and paging for `GET /v1/contacts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at`, `updated_at` or `name` (last name, then first), `-` for descending. Default `created_at`.
    #[param(
        pattern = "^-?(created_at|updated_at|name|first_name|last_name|email|phone|job_title|lifecycle_stage|lead_source|owner_id|custom\\.[a-z][a-z0-9_]{0,62})$",
        example = "-updated_at"
    )]
    pub sort: Option<String>,
    pub owner_id: Option<String>,
    /// People linked to this company.
    pub company_id: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    #[param(example = "vip")]
    pub tag: Option<String>,
    /// Any of the contact's e-mails (case-insensitive).
    pub email: Option<String>,
    /// RFC 3339; inclusive.
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_after: Option<chrono::NaiveDateTime>,
    /// RFC 3339; exclusive.
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_before: Option<chrono::NaiveDateTime>,
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_after: Option<chrono::NaiveDateTime>,
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_before: Option<chrono::NaiveDateTime>,
    /// A filter of the filter language as JSON (as in `POST …/search`), for any field and
    /// `custom.<key>`: `{"field": "job_title", "op": "contains", "value": "engineer"}`.
    pub filter: Option<String>,
}

impl ContactsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_language_knows_every_stage() {
        for stage in super::super::model::LIFECYCLE_STAGES {
            assert_eq!(LifecycleStage::parse(stage).map(LifecycleStage::as_str), Some(*stage));
        }
    }
}

pub use crm_core::batch::{BatchMode, BatchResponse, BatchResult, MATCH_ON_PATTERN, MatchOn};

/// One input of a batch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    /// The contact to update, with `match_on: "id"`.
    pub id: Option<String>,
    pub properties: ContactIn,
}

/// Up to 1,000 contacts created, updated or upserted in one request.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mode": "upsert", "match_on": "external_id:shopify",
    "inputs": [
        {"properties": {"first_name": "Ada", "emails": [{"address": "ada@example.com"}], "external_ids": {"shopify": "7712"}}},
        {"properties": {"first_name": "Alan", "external_ids": {"shopify": "7713"}}}
    ]
}))]
pub struct BatchRequest {
    /// 1 to 1,000.
    #[schema(min_items = 1, max_items = 1000)]
    pub inputs: Vec<BatchInput>,
    pub mode: BatchMode,
    /// `email` (the first e-mail of the input), `external_id:<source>`, or `id`. Needed to update or upsert.
    #[schema(example = "email", pattern = r"^(email|id|external_id:[a-z0-9_-]{1,32})$")]
    pub match_on: Option<String>,
    /// All inputs commit together or none does (then a failure answers 422). Default false:
    /// each input commits or fails on its own.
    #[serde(default)]
    pub atomic: bool,
}

#[cfg(test)]
mod match_on_tests {
    use super::*;

    #[test]
    fn the_contract_pattern_and_the_parser_agree() {
        let pattern = regex::Regex::new(MATCH_ON_PATTERN).unwrap();
        for raw in
            ["email", "id", "external_id:shopify", "external_id:a-b_9", "external_id:", "external_id:Shop", "name", ""]
        {
            assert_eq!(pattern.is_match(raw), MatchOn::parse(raw).is_some(), "{raw}");
        }
        let long = format!("external_id:{}", "a".repeat(33));
        assert_eq!(pattern.is_match(&long), MatchOn::parse(&long).is_some());
    }

    #[test]
    fn batches_and_imports_state_the_pattern() {
        use utoipa::PartialSchema;
        for schema in [BatchRequest::schema(), crate::import::dto::ImportOptions::schema()] {
            let schema = serde_json::to_value(schema).unwrap();
            assert_eq!(schema["properties"]["match_on"]["pattern"], MATCH_ON_PATTERN);
        }
    }
}
