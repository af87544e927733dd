//! Leads as the API shows and takes them.

use std::collections::BTreeMap;

use crm_core::http::{ListQuery, Patch};
use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Lead;

/// Where a lead stands. `converted` is set by `POST /v1/leads/{id}/convert` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Working,
    Nurturing,
    Qualified,
    /// With a `disqualified_reason`.
    Disqualified,
    Converted,
}

impl LeadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Working => "working",
            LeadStatus::Nurturing => "nurturing",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Disqualified => "disqualified",
            LeadStatus::Converted => "converted",
        }
    }

    pub fn parse(s: &str) -> LeadStatus {
        match s {
            "working" => LeadStatus::Working,
            "nurturing" => LeadStatus::Nurturing,
            "qualified" => LeadStatus::Qualified,
            "disqualified" => LeadStatus::Disqualified,
            "converted" => LeadStatus::Converted,
            _ => LeadStatus::New,
        }
    }
}

/// A new lead: a name, an e-mail or a company at least.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "first_name": "Grace", "last_name": "Hopper", "email": "grace@globex.example", "phone": "+1 415 555 0132",
    "job_title": "CTO", "company_name": "Globex", "company_domain": "globex.example", "industry": "Software",
    "employee_count": 120, "country": "US", "source": "webinar", "status": "working",
    "budget": {"amount": 5000000, "currency": "USD"}, "authority": "decision_maker",
    "need": "Replace the spreadsheet pipeline", "timeline": "2027-03-31",
    "tags": ["inbound"], "external_ids": {"marketo": "L-99"}
}))]
pub struct LeadIn {
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    /// Stored lower-cased.
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Stored in E.164 (`+14155550132`); national numbers are read in the organization's region.
    pub phone: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub job_title: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub company_name: Option<String>,
    /// The company's web domain, normalized like a company's (`acme.example`).
    pub company_domain: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub industry: Option<String>,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub employee_count: Option<i64>,
    /// ISO 3166-1 alpha-2, upper case.
    #[schema(pattern = "^[A-Z]{2}$", example = "US")]
    pub country: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub source: Option<String>,
    /// Default `new`; `converted` cannot be set.
    pub status: Option<LeadStatus>,
    /// Required when `disqualified`.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub disqualified_reason: Option<String>,
    /// BANT: the budget the lead has.
    pub budget: Option<Money>,
    /// BANT: the lead's say in the purchase (`decision_maker`, `influencer`…).
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub authority: Option<String>,
    /// BANT: what the lead needs.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub need: Option<String>,
    /// BANT: when the lead means to buy, `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, format = Date)]
    pub timeline: Option<chrono::NaiveDate>,
    pub owner_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub external_ids: Option<BTreeMap<String, String>>,
    /// Values of the organization's custom fields, by key (see `/v1/custom-fields`).
    #[schema(value_type = Option<Object>, example = json!({"campaign": "fall-webinar"}))]
    pub custom: Option<Map<String, Value>>,
}

/// Changes to a lead (JSON merge patch). A converted lead takes none.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "qualified", "authority": "decision_maker"}))]
pub struct LeadPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub first_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub last_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub job_title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub company_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub company_domain: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub industry: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub employee_count: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub country: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub source: Patch<String>,
    #[serde(default)]
    #[schema(value_type = LeadStatus)]
    pub status: Patch<LeadStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub disqualified_reason: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Money>)]
    pub budget: Patch<Money>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub authority: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub need: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub timeline: Patch<chrono::NaiveDate>,
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

/// What a converted lead became.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a", "deal_id": null}))]
pub struct ConvertedTo {
    pub contact_id: String,
    pub company_id: Option<String>,
    pub deal_id: Option<String>,
}

/// A lead.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "lead_01jbz3m3x7f6ks6q0vd1tq2n5a", "first_name": "Grace", "last_name": "Hopper",
    "email": "grace@globex.example", "phone": "+14155550132", "job_title": "CTO", "company_name": "Globex",
    "company_domain": "globex.example", "industry": "Software", "employee_count": 120, "country": "US",
    "source": "webinar", "status": "working", "disqualified_reason": null,
    "budget": {"amount": 5000000, "currency": "USD"}, "authority": "decision_maker",
    "need": "Replace the spreadsheet pipeline", "timeline": "2027-03-31", "owner_id": null, "score": 0,
    "converted_at": null, "converted_to": null, "tags": ["inbound"], "external_ids": {"marketo": "L-99"},
    "custom": {}, "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct LeadOut {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    pub company_domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub country: Option<String>,
    pub source: Option<String>,
    pub status: LeadStatus,
    pub disqualified_reason: Option<String>,
    pub budget: Option<Money>,
    pub authority: Option<String>,
    pub need: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub timeline: Option<String>,
    pub owner_id: Option<String>,
    /// The lead's score (0 until scoring rules give it points).
    pub score: i32,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub converted_at: Option<chrono::NaiveDateTime>,
    /// What the lead became when it was converted.
    pub converted_to: Option<ConvertedTo>,
    pub tags: Vec<String>,
    pub external_ids: BTreeMap<String, String>,
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

impl From<Lead> for LeadOut {
    fn from(l: Lead) -> Self {
        let budget = match (l.budget_amount, l.budget_currency) {
            (Some(amount), Some(currency)) => Some(Money { amount, currency }),
            _ => None,
        };
        LeadOut {
            id: l.id,
            first_name: l.first_name,
            last_name: l.last_name,
            email: l.email,
            phone: l.phone,
            job_title: l.job_title,
            company_name: l.company_name,
            company_domain: l.company_domain,
            industry: l.industry,
            employee_count: l.employee_count,
            country: l.country,
            source: l.source,
            status: LeadStatus::parse(&l.status),
            disqualified_reason: l.disqualified_reason,
            budget,
            authority: l.authority,
            need: l.need,
            timeline: l.timeline,
            owner_id: l.owner_id,
            score: l.score,
            converted_at: l.converted_at,
            converted_to: l.converted_to.and_then(|c| serde_json::from_str(&c).ok()),
            tags: serde_json::from_str(&l.tags).unwrap_or_default(),
            external_ids: serde_json::from_str(&l.external_ids).unwrap_or_default(),
            custom: crm_core::custom_fields::values::parse_stored(&l.custom),
            created_at: l.created_at,
            updated_at: l.updated_at,
            version: l.version,
        }
    }
}

impl From<LeadOut> for LeadIn {
    fn from(l: LeadOut) -> Self {
        LeadIn {
            first_name: l.first_name,
            last_name: l.last_name,
            email: l.email,
            phone: l.phone,
            job_title: l.job_title,
            company_name: l.company_name,
            company_domain: l.company_domain,
            industry: l.industry,
            employee_count: l.employee_count,
            country: l.country,
            source: l.source,
            status: Some(l.status),
            disqualified_reason: l.disqualified_reason,
            budget: l.budget,
            authority: l.authority,
            need: l.need,
            timeline: l.timeline.and_then(|t| chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok()),
            owner_id: l.owner_id,
            tags: Some(l.tags),
            external_ids: Some(l.external_ids),
            custom: Some(l.custom),
        }
    }
}

/// The deal a conversion creates.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Globex: first order", "pipeline_id": "pipe_01jbz3m3x7f6ks6q0vd1tq2n5a"}))]
pub struct ConvertDeal {
    /// Default: the lead's company name, else "Deal".
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Default: the lead's budget.
    pub amount: Option<Money>,
    pub pipeline_id: Option<String>,
    pub stage_id: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub close_date: Option<chrono::NaiveDate>,
}

/// `POST /v1/leads/{id}/convert`.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"deal": {"name": "Globex: first order"}}))]
pub struct ConvertIn {
    /// The contact to convert into; default: the contact with the lead's e-mail, or a new one.
    pub contact_id: Option<String>,
    /// The company; default: the company with the lead's domain (or its name), or a new one
    /// when the lead names a company.
    pub company_id: Option<String>,
    /// Creates a deal for the contact and company too.
    #[validate(nested)]
    pub deal: Option<ConvertDeal>,
}

/// What a conversion did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Conversion {
    pub lead: LeadOut,
    pub contact_id: String,
    /// Whether the contact was created (`false`: an existing one was linked).
    pub contact_created: bool,
    pub company_id: Option<String>,
    pub company_created: bool,
    pub deal_id: Option<String>,
}

/// Filters and paging for `GET /v1/leads`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeadsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// A field to sort by, `-` for descending. Default `created_at`.
    #[param(pattern = "^-?(created_at|updated_at|name|score|custom\\.[a-z][a-z0-9_]{0,62})$")]
    pub sort: Option<String>,
    pub status: Option<LeadStatus>,
    pub owner_id: Option<String>,
    pub source: Option<String>,
    /// Normalized like the stored e-mail.
    pub email: Option<String>,
    pub tag: Option<String>,
    /// A filter of the filter language as JSON (as in `POST …/search`).
    pub filter: Option<String>,
}

impl LeadsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// One input of a lead batch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadBatchInput {
    /// The lead to update, with `match_on: "id"`.
    pub id: Option<String>,
    pub properties: LeadIn,
}

/// Up to 1,000 leads created, updated or upserted in one request (each input is validated on
/// its own, so one bad input fails alone).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mode": "upsert", "match_on": "external_id:marketo",
    "inputs": [
        {"properties": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@globex.example", "external_ids": {"marketo": "L-99"}}},
        {"properties": {"last_name": "Turing", "company_name": "Initech", "external_ids": {"marketo": "L-100"}}}
    ]
}))]
pub struct LeadBatchRequest {
    /// 1 to 1,000.
    #[schema(min_items = 1, max_items = 1000)]
    pub inputs: Vec<LeadBatchInput>,
    pub mode: crm_core::batch::BatchMode,
    /// `email`, `external_id:<source>`, or `id`. Needed to update or upsert; an update sets the
    /// fields an input gives.
    #[schema(example = "email", pattern = r"^(email|id|external_id:[a-z0-9_-]{1,32})$")]
    pub match_on: Option<String>,
    /// All inputs commit together or none does (then a failure answers 422). Default false:
    /// each input commits or fails on its own.
    #[serde(default)]
    pub atomic: bool,
}
