//! What became of an inbound e-mail.

use serde::Serialize;
use utoipa::ToSchema;

/// A raw RFC 5322 message, as a mail provider hands it over (CRLF line ends, any bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct RawMessage(pub Vec<u8>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboundOutcome {
    /// A new message: a ticket was opened for its sender.
    TicketCreated,
    /// A reply: it became a public comment on its ticket.
    CommentAdded,
    /// An auto-reply, a bulk message, a bounce, or the platform's own mail: nothing was made.
    Ignored,
    /// The message was delivered before: nothing was made again.
    Duplicate,
}

/// What became of an inbound e-mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "outcome": "comment_added", "reason": null, "ticket_id": "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "comment_id": "tcm_01jbz3m3x7f6ks6q0vd1tq2n5e", "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c",
    "contact_created": false
}))]
pub struct InboundResult {
    pub outcome: InboundOutcome,
    /// Why it was ignored: `auto_reply`, `bulk`, `bounce` or `own_message`.
    pub reason: Option<String>,
    pub ticket_id: Option<String>,
    pub comment_id: Option<String>,
    /// The sender's contact.
    pub contact_id: Option<String>,
    /// Whether the sender was unknown and their contact created.
    pub contact_created: bool,
}

impl InboundResult {
    pub fn ignored(reason: &str) -> InboundResult {
        InboundResult {
            outcome: InboundOutcome::Ignored,
            reason: Some(reason.to_string()),
            ticket_id: None,
            comment_id: None,
            contact_id: None,
            contact_created: false,
        }
    }
}
