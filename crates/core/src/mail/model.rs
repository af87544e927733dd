//! Recorded messages: one row per message, from queued to sent or failed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::http::{ListPlan, SortField, SortKind, Sorts};
use crate::schema::mail_messages;
use crate::scope::Scope;

pub const ID_PREFIX: &str = "msg";
pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const STATUSES: &[&str] = &[QUEUED, SENT, FAILED];

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mail_messages)]
pub struct MailMessage {
    pub id: String,
    pub org_id: String,
    pub message_id: String,
    pub from_address: String,
    /// JSON array of addresses.
    pub to_addresses: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    pub in_reply_to: Option<String>,
    /// JSON array of message ids.
    pub reference_ids: String,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub job_id: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl MailMessage {
    pub fn to(&self) -> Vec<String> {
        serde_json::from_str(&self.to_addresses).unwrap_or_default()
    }

    pub fn references(&self) -> Vec<String> {
        serde_json::from_str(&self.reference_ids).unwrap_or_default()
    }
}

pub fn insert(conn: &mut DbConnection, message: &MailMessage) -> ApiResult<()> {
    diesel::insert_into(mail_messages::table).values(message).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<MailMessage>> {
    Ok(mail_messages::table
        .filter(mail_messages::org_id.eq(scope.org_id()))
        .filter(mail_messages::id.eq(id))
        .select(MailMessage::as_select())
        .first(conn)
        .optional()?)
}

/// How an attempt went: `sent` (with the server's answer), `failed` for good, or still
/// `queued` for another attempt; `error` is the attempt's.
pub fn record_attempt(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    attempt: i32,
    status: &str,
    provider_id: Option<&str>,
    error: Option<&str>,
) -> ApiResult<()> {
    let now = crate::time::now();
    diesel::update(
        mail_messages::table
            .filter(mail_messages::org_id.eq(scope.org_id()))
            .filter(mail_messages::id.eq(id))
            .filter(mail_messages::status.eq(QUEUED)),
    )
    .set((
        mail_messages::status.eq(status),
        mail_messages::attempts.eq(attempt),
        mail_messages::provider_id.eq(provider_id),
        mail_messages::error.eq(error),
        mail_messages::updated_at.eq(now),
        mail_messages::sent_at.eq((status == SENT).then_some(now)),
    ))
    .execute(conn)?;
    Ok(())
}

/// `"<address>"` as it stands in `to_addresses` (a JSON array), for each address.
fn quoted(emails: &[String]) -> Vec<String> {
    emails.iter().map(|e| format!("\"{}\"", e.to_lowercase())).collect()
}

/// The messages to any of `emails`, oldest first: a person's mail, for their data export.
pub fn to_any(conn: &mut DbConnection, scope: &Scope, emails: &[String]) -> ApiResult<Vec<MailMessage>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mail_messages::table
        .filter(mail_messages::org_id.eq(scope.org_id()))
        .filter(crate::privacy::mentions_any::<mail_messages::table>("mail_messages.to_addresses", &quoted(emails)))
        .order((mail_messages::created_at.asc(), mail_messages::id.asc()))
        .select(MailMessage::as_select())
        .load(conn)?)
}

/// Erases what the messages to any of `emails` said and to whom (an erasure): recipients,
/// subject, bodies and thread go; that a message was sent, when and how it went stay. Returns
/// how many.
pub fn redact_to_any(conn: &mut DbConnection, scope: &Scope, emails: &[String]) -> ApiResult<usize> {
    if emails.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(
        mail_messages::table.filter(mail_messages::org_id.eq(scope.org_id())).filter(crate::privacy::mentions_any::<
            mail_messages::table,
        >(
            "mail_messages.to_addresses",
            &quoted(emails),
        )),
    )
    .set((
        mail_messages::to_addresses.eq("[]"),
        mail_messages::subject.eq("[erased]"),
        mail_messages::text_body.eq(""),
        mail_messages::html_body.eq(None::<String>),
        mail_messages::in_reply_to.eq(None::<String>),
        mail_messages::reference_ids.eq("[]"),
        mail_messages::error.eq(None::<String>),
    ))
    .execute(conn)?)
}

#[derive(Debug, Default)]
pub struct Filters {
    pub status: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
}

/// What the message log sorts by: newest first.
pub static SORTS: Sorts<MailMessage> = Sorts {
    default: "-created_at",
    id_column: "mail_messages.id",
    id: |m| &m.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "mail_messages.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |m| Some(crate::time::format(&m.created_at)),
    }],
};

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<MailMessage>> {
    let mut query = mail_messages::table
        .filter(mail_messages::org_id.eq(scope.org_id()))
        .select(MailMessage::as_select())
        .into_boxed();
    if let Some(v) = &filters.status {
        query = query.filter(mail_messages::status.eq(v.clone()));
    }
    if let Some(v) = &filters.record_type {
        query = query.filter(mail_messages::record_type.eq(v.clone()));
    }
    if let Some(v) = &filters.record_id {
        query = query.filter(mail_messages::record_id.eq(v.clone()));
    }
    let (order, after) = SORTS.keyset::<mail_messages::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
