//! Comments as the API shows and takes them.

use crm_core::http::ListQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Comment;
use crate::ticket::dto::{TicketOut, TicketStatus};

/// Who sees a comment: `public` replies are the conversation with the requester (an agent's
/// is e-mailed to them); `internal` notes are for agents only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CommentVisibility)]
pub enum Visibility {
    Public,
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// A new comment by an agent (a user or an API key).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "body": "Hello Ada,\n\nthe PDF export is fixed: could you try again?\n\nBest, Grace",
    "visibility": "public", "status": "pending"
}))]
pub struct CommentIn {
    #[validate(length(min = 1, max = 65536))]
    #[schema(min_length = 1, max_length = 65536)]
    pub body: String,
    /// Default `public`.
    pub visibility: Option<Visibility>,
    /// The ticket's status after the comment (`pending` to wait on the requester, `solved`…);
    /// default: a `new` ticket an agent answers in public becomes `open`, others keep theirs.
    pub status: Option<TicketStatus>,
}

/// A file that came with a comment (an e-mail's attachment), kept in the file storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"file_id": "file_01jbz3m3x7f6ks6q0vd1tq2n5d", "filename": "screenshot.png", "content_type": "image/png", "size": 48213}))]
pub struct AttachmentOut {
    pub file_id: String,
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
}

/// A comment on a ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "tcm_01jbz3m3x7f6ks6q0vd1tq2n5e", "ticket_id": "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "body": "Hello Ada,\n\nthe PDF export is fixed: could you try again?\n\nBest, Grace", "visibility": "public",
    "author_type": "user", "author_id": "usr_01jbz3m3x7f6ks6q0vd1tq2n5b", "via": "api",
    "mail_message_id": "mail_01jbz3m3x7f6ks6q0vd1tq2n5f", "attachments": [], "created_at": "2026-12-07T09:20:00Z"
}))]
pub struct CommentOut {
    pub id: String,
    pub ticket_id: String,
    pub body: String,
    pub visibility: Visibility,
    /// `user` or `api_key` for an agent, `contact` for the requester.
    pub author_type: String,
    pub author_id: String,
    /// `api` or `email`.
    pub via: String,
    /// The e-mail that carried an agent's public reply to the requester
    /// (`GET /v1/mail/messages/{id}` tells how it went); `null` when none went.
    pub mail_message_id: Option<String>,
    pub attachments: Vec<AttachmentOut>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
}

impl From<Comment> for CommentOut {
    fn from(c: Comment) -> Self {
        CommentOut {
            id: c.id,
            ticket_id: c.ticket_id,
            body: c.body,
            visibility: if c.visibility == "internal" { Visibility::Internal } else { Visibility::Public },
            author_type: c.author_type,
            author_id: c.author_id,
            via: c.via,
            mail_message_id: c.mail_message_id,
            attachments: serde_json::from_str(&c.attachments).unwrap_or_default(),
            created_at: c.created_at,
        }
    }
}

/// A comment and its ticket as the comment left it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentAdded {
    pub comment: CommentOut,
    pub ticket: TicketOut,
}

/// Paging for `GET /v1/tickets/{id}/comments` (oldest first).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommentsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// Only `created_at` (default), `-` for newest first.
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
}

impl CommentsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
