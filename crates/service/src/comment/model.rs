//! Comment rows, and the Message-IDs of a ticket's e-mails; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::{ticket_comments, ticket_messages};

/// The TypeID prefix of comment ids.
pub const ID_PREFIX: &str = "tcm";
/// How many Message-IDs a reply's `References` names: the thread's first and its latest.
const MAX_REFERENCES: i64 = 20;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_comments)]
pub struct Comment {
    pub id: String,
    pub ticket_id: String,
    pub body: String,
    pub visibility: String,
    pub author_type: String,
    pub author_id: String,
    pub via: String,
    pub mail_message_id: Option<String>,
    pub attachments: String,
    pub created_at: NaiveDateTime,
}

/// Comments list oldest first, as a conversation reads.
pub static SORTS: Sorts<Comment> = Sorts {
    default: "created_at",
    id_column: "ticket_comments.id",
    id: |c| &c.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "ticket_comments.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |c| Some(crm_core::time::format(&c.created_at)),
    }],
};

/// The `INSERT` of a comment.
pub fn insert(scope: &Scope, c: &Comment) -> Vec<Piece> {
    let c = c.clone();
    crm_core::sql::insert_row(
        "ticket_comments",
        vec![
            ("id", Piece::Text(c.id)),
            ("org_id", Piece::Text(scope.org_id().to_string())),
            ("ticket_id", Piece::Text(c.ticket_id)),
            ("body", Piece::Text(c.body)),
            ("visibility", Piece::Text(c.visibility)),
            ("author_type", Piece::Text(c.author_type)),
            ("author_id", Piece::Text(c.author_id)),
            ("via", Piece::Text(c.via)),
            ("mail_message_id", Piece::OptionalText(c.mail_message_id)),
            ("attachments", Piece::Text(c.attachments)),
            ("created_at", Piece::Time(c.created_at)),
        ],
    )
}

/// A page of the ticket's comments (internal notes only when `internal`).
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    ticket_id: &str,
    internal: bool,
    plan: &ListPlan,
) -> ApiResult<Vec<Comment>> {
    let mut query = ticket_comments::table
        .filter(ticket_comments::org_id.eq(scope.org_id().to_string()))
        .filter(ticket_comments::ticket_id.eq(ticket_id.to_string()))
        .select(Comment::as_select())
        .into_boxed();
    if !internal {
        query = query.filter(ticket_comments::visibility.eq("public"));
    }
    let (order, after) = SORTS.keyset::<ticket_comments::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Records an e-mail of the ticket's thread by its Message-ID: `false` when the organization
/// already has it (a message delivered twice). Concurrent deliveries of one message queue on
/// the key, and only the first records it.
pub fn record_message(
    conn: &mut DbConnection,
    scope: &Scope,
    message_id: &str,
    ticket_id: &str,
    comment_id: Option<&str>,
    at: NaiveDateTime,
) -> ApiResult<bool> {
    let mut pieces = insert_message(scope, message_id, ticket_id, comment_id, at);
    pieces.push(Piece::Sql(" ON CONFLICT (org_id, message_id) DO NOTHING".into()));
    Ok(crm_core::sql::Statement::new(pieces).execute(conn)? == 1)
}

/// The `INSERT` recording an e-mail of the ticket's thread.
pub fn insert_message(
    scope: &Scope,
    message_id: &str,
    ticket_id: &str,
    comment_id: Option<&str>,
    at: NaiveDateTime,
) -> Vec<Piece> {
    crm_core::sql::insert_row(
        "ticket_messages",
        vec![
            ("org_id", Piece::Text(scope.org_id().to_string())),
            ("message_id", Piece::Text(message_id.to_string())),
            ("ticket_id", Piece::Text(ticket_id.to_string())),
            ("comment_id", Piece::OptionalText(comment_id.map(str::to_string))),
            ("created_at", Piece::Time(at)),
        ],
    )
}

/// The ticket of the first of these Message-IDs that one has (one query for them all).
pub fn ticket_of_messages(conn: &mut DbConnection, org_id: &str, message_ids: &[&str]) -> ApiResult<Option<String>> {
    if message_ids.is_empty() {
        return Ok(None);
    }
    let known: Vec<(String, String)> = ticket_messages::table
        .filter(ticket_messages::org_id.eq(org_id))
        .filter(ticket_messages::message_id.eq_any(message_ids))
        .select((ticket_messages::message_id, ticket_messages::ticket_id))
        .load(conn)?;
    Ok(message_ids.iter().find_map(|id| known.iter().find(|(m, _)| m == id).map(|(_, t)| t.clone())))
}

/// A reply's threading: the Message-ID it answers (the thread's latest) and its
/// `References` (the thread's first, then its latest, oldest first).
pub fn thread(conn: &mut DbConnection, scope: &Scope, ticket_id: &str) -> ApiResult<(Option<String>, Vec<String>)> {
    let of_ticket = || {
        ticket_messages::table
            .filter(ticket_messages::org_id.eq(scope.org_id().to_string()))
            .filter(ticket_messages::ticket_id.eq(ticket_id.to_string()))
            .select(ticket_messages::message_id)
    };
    let first: Option<String> = of_ticket()
        .order((ticket_messages::created_at.asc(), ticket_messages::message_id.asc()))
        .first(conn)
        .optional()?;
    let mut latest: Vec<String> = of_ticket()
        .order((ticket_messages::created_at.desc(), ticket_messages::message_id.desc()))
        .limit(MAX_REFERENCES)
        .load(conn)?;
    latest.reverse();
    if let Some(first) = first
        && !latest.contains(&first)
    {
        latest.remove(0);
        latest.insert(0, first);
    }
    Ok((latest.last().cloned(), latest))
}

/// One comment of the ticket.
pub fn find(conn: &mut DbConnection, scope: &Scope, ticket_id: &str, id: &str) -> ApiResult<Option<Comment>> {
    Ok(ticket_comments::table
        .filter(ticket_comments::org_id.eq(scope.org_id().to_string()))
        .filter(ticket_comments::ticket_id.eq(ticket_id.to_string()))
        .filter(ticket_comments::id.eq(id.to_string()))
        .select(Comment::as_select())
        .first(conn)
        .optional()?)
}
