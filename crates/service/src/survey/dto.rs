//! Surveys as the API shows and takes them.

use chrono::NaiveDateTime;
use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Survey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// Customer satisfaction with a solved ticket, 1–5: e-mailed to its requester when it is
    /// solved, while the survey is active.
    Csat,
    /// Net Promoter Score, 0–10: e-mailed to the contacts it is sent to.
    Nps,
}

impl SurveyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::Csat => "csat",
            SurveyKind::Nps => "nps",
        }
    }

    /// The lowest and highest score.
    pub fn scale(self) -> (i32, i32) {
        match self {
            SurveyKind::Csat => (1, 5),
            SurveyKind::Nps => (0, 10),
        }
    }
}

/// A new survey.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "csat", "name": "Support satisfaction", "question": "How would you rate the support you received?",
    "response_url": "https://help.acme.example/rate?token={token}", "active": true
}))]
pub struct SurveyIn {
    pub kind: SurveyKind,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default: "How would you rate the support you received?" (CSAT), "How likely are you to
    /// recommend us to a friend or colleague?" (NPS).
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub question: Option<String>,
    /// Where the e-mailed link sends people: a page of the organization's, `{token}` replaced by
    /// the invitation's token (which it sends to `POST /v1/public/surveys/{token}/responses`).
    /// Without one, the e-mail gives the token and that endpoint.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub response_url: Option<String>,
    /// CSAT: solved tickets get it while active. Default true.
    pub active: Option<bool>,
}

/// Changes to a survey (JSON merge patch); its kind stays.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct SurveyPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub question: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub response_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub active: Patch<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "srv_01jbz3m3x7f6ks6q0vd1tq2n5a", "kind": "nps", "name": "Q4 NPS",
    "question": "How likely are you to recommend us to a friend or colleague?", "response_url": null, "active": true,
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct SurveyOut {
    pub id: String,
    pub kind: SurveyKind,
    pub name: String,
    pub question: String,
    pub response_url: Option<String>,
    pub active: bool,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl From<Survey> for SurveyOut {
    fn from(s: Survey) -> Self {
        SurveyOut {
            id: s.id,
            kind: if s.kind == "nps" { SurveyKind::Nps } else { SurveyKind::Csat },
            name: s.name,
            question: s.question,
            response_url: s.response_url,
            active: s.active != 0,
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// `POST /v1/surveys/{id}/send`: whom an NPS survey goes to (at most 1,000 contacts a call).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"filter": {"field": "lifecycle_stage", "op": "eq", "value": "customer"}}))]
pub struct SendIn {
    /// These contacts…
    #[validate(length(min = 1, max = 1000))]
    #[schema(max_items = 1000)]
    pub contact_ids: Option<Vec<String>>,
    /// …or those matching this filter of the filter language over contacts.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
}

/// What a send did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"invited": 412, "skipped": 3}))]
pub struct SendOut {
    /// Contacts e-mailed an invitation.
    pub invited: usize,
    /// Contacts without an e-mail address, or erased.
    pub skipped: usize,
}

/// What the person answering sees of an invitation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"kind": "csat", "question": "How would you rate the support you received?", "min": 1, "max": 5, "ticket_subject": "Cannot export invoices to PDF", "answered": false}))]
pub struct InvitationOut {
    pub kind: SurveyKind,
    pub question: String,
    pub min: i32,
    pub max: i32,
    /// CSAT: the ticket rated.
    pub ticket_subject: Option<String>,
    pub answered: bool,
}

/// An answer.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 9, "comment": "Great product, support could be faster."}))]
pub struct ResponseIn {
    /// CSAT 1–5, NPS 0–10.
    pub score: i32,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// `GET /v1/surveys/{id}/results`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResultsQuery {
    /// The period's first day (UTC). Default: 30 days before `to`.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-01")]
    pub from: Option<chrono::NaiveDate>,
    /// The day after the period. Default: tomorrow.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-01")]
    pub to: Option<chrono::NaiveDate>,
}

/// A survey's scores over a period. CSAT counts every ticket rating given in it (by e-mail or
/// the portal; a ticket's latest); NPS this survey's responses.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "survey_id": "srv_01jbz3m3x7f6ks6q0vd1tq2n5a", "kind": "nps", "from": "2026-11-01", "to": "2026-12-01",
    "responses": 120, "average": 8.1, "csat": null, "promoters": 66, "passives": 34, "detractors": 20, "nps": 38.3
}))]
pub struct ResultsOut {
    pub survey_id: String,
    pub kind: SurveyKind,
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub responses: i64,
    pub average: Option<f64>,
    /// CSAT: the share of satisfied ratings (4 or 5), in percent.
    pub csat: Option<f64>,
    /// NPS: 9–10, 7–8 and 0–6.
    pub promoters: Option<i64>,
    pub passives: Option<i64>,
    pub detractors: Option<i64>,
    /// NPS: percent promoters minus percent detractors, -100 to 100.
    pub nps: Option<f64>,
}

/// Paging for `GET /v1/surveys`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SurveysQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
}

impl SurveysQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// A survey response: a CSAT rating of a ticket (by e-mail or the portal; a ticket keeps its
/// latest) or an NPS answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a", "kind": "csat", "survey_id": null, "ticket_id": "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "score": 5, "comment": "Quick and friendly.",
    "updated_at": "2026-12-07T10:00:00Z"
}))]
pub struct ResponseOut {
    /// A CSAT rating's is its ticket's id; an NPS response's its own.
    pub id: String,
    pub kind: SurveyKind,
    /// The survey e-mailed, when one was.
    pub survey_id: Option<String>,
    pub ticket_id: Option<String>,
    pub contact_id: String,
    pub score: i32,
    pub comment: Option<String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}
