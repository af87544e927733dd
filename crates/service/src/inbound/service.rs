//! Reads a raw RFC 5322 message (`crm_core::mail::inbound`) and files it: a reply (its
//! `In-Reply-To` or `References` naming a message of a ticket's thread, or `[#<number>]` in its
//! subject from the ticket's requester) becomes a public comment on its ticket, reopening it
//! when solved; any other message opens a ticket for its sender, whose contact is created when
//! unknown. Auto-replies, bulk mail, bounces and the platform's own messages never open
//! tickets or comment (no mail loops). Each message is filed once, whatever the provider's
//! retries: its Message-ID is recorded with the ticket in the same transaction.

use crm_contacts::contact::dto::{ContactIn, EmailEntry};
use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::config::Config;
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::mail::inbound::{self, Inbound, Party};
use crm_core::state::AppState;

use super::dto::{InboundOutcome, InboundResult};
use crate::comment::dto::{AttachmentOut, Visibility};
use crate::comment::model as comments;
use crate::comment::service::{Author, NewComment, add_in};
use crate::permissions;
use crate::ticket::dto::{Channel, TicketIn, TicketStatus};
use crate::ticket::{model as tickets, service as ticket_service};

/// The largest message taken (attachments included).
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
/// The advisory lock space of inbound Message-IDs (`crm_core::sql::hold_key`).
const MESSAGE_LOCKS: i32 = 7263020;
/// What an attachment's file is kept for.
const ATTACHMENT_PURPOSE: &str = "ticket_attachment";

pub async fn receive(state: &AppState, actor: &Actor, raw: Vec<u8>) -> ApiResult<InboundResult> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let message = inbound::parse(&raw).map_err(|e| ApiError::bad_request("invalid_message", e))?;
    if let Some(automated) = message.automated {
        return Ok(InboundResult::ignored(automated.as_str()));
    }
    let Some(from) = message.from.clone() else {
        return Err(ApiError::bad_request("invalid_message", "The message has no From address."));
    };
    if crm_core::mail::sender_address(&state.config).as_deref() == Some(from.address.as_str()) {
        return Ok(InboundResult::ignored("own_message"));
    }
    let (actor, keys, config) = (actor.clone(), state.keys.clone(), state.config.clone());
    state.db.write(move |conn| file(conn, &keys, &config, &actor, &message, &from)).await
}

/// Files the message on the caller's connection.
fn file(
    conn: &mut DbConnection,
    keys: &Keys,
    config: &Config,
    actor: &Actor,
    message: &Inbound,
    from: &Party,
) -> ApiResult<InboundResult> {
    let scope = actor.scope();
    // A message without a Message-ID gets one, so that replies to it still thread.
    let message_id =
        message.message_id.clone().unwrap_or_else(|| format!("{}@inbound.invalid", crm_core::id::new_id("msg")));
    // Deliveries of one message wait for each other here: the later ones find it filed.
    crm_core::sql::hold_key(conn, MESSAGE_LOCKS, &format!("{}/{message_id}", scope.org_id()))?;
    if let Some(ticket_id) = comments::ticket_of_messages(conn, scope.org_id(), &[message_id.as_str()])? {
        let mut duplicate = InboundResult::ignored("duplicate");
        (duplicate.outcome, duplicate.reason, duplicate.ticket_id) = (InboundOutcome::Duplicate, None, Some(ticket_id));
        return Ok(duplicate);
    }
    let (contact_id, contact_created) = sender_contact(conn, keys, actor, from)?;
    let answered = match comments::ticket_of_messages(conn, scope.org_id(), &message.ancestors())? {
        Some(id) => Some(id),
        None => by_subject_token(conn, actor, &message.subject, &contact_id)?,
    };
    // A reply to a closed ticket is a new request: it opens a ticket of its own.
    let answered = match answered {
        Some(id) => tickets::find(conn, &scope.unrestricted(), &id)?
            .filter(|t| t.status != TicketStatus::Closed.as_str())
            .map(|t| t.id),
        None => None,
    };
    let comment_id = crm_core::id::new_id(comments::ID_PREFIX);
    let (ticket_id, outcome, body) = match answered {
        Some(id) => (id, InboundOutcome::CommentAdded, reply_text(&message.text)),
        None => {
            let subject = match message.subject.trim() {
                "" => "(no subject)".to_string(),
                subject => subject.chars().take(500).collect(),
            };
            let ticket = TicketIn {
                subject,
                description: Some(message.text.clone()).filter(|t| !t.trim().is_empty()),
                channel: Some(Channel::Email),
                requester_id: Some(contact_id.clone()),
                ..Default::default()
            };
            (ticket_service::create_in(conn, actor, ticket)?.id, InboundOutcome::TicketCreated, message.text.clone())
        }
    };
    // Held by the lock above, this only fails for a Message-ID a ticket's own reply has.
    if !comments::record_message(conn, &scope, &message_id, &ticket_id, Some(&comment_id), crm_core::time::now())? {
        return Err(ApiError::conflict("duplicate_message", "A message with this Message-ID is already on a ticket."));
    }
    let mut attachments = Vec::with_capacity(message.attachments.len());
    for a in &message.attachments {
        let file_id = crm_core::files::store(conn, &scope, ATTACHMENT_PURPOSE, &a.filename, &a.content_type, &a.data)?;
        let size = i64::try_from(a.data.len()).unwrap_or(i64::MAX);
        attachments.push(AttachmentOut {
            file_id,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size,
        });
    }
    let body = if body.trim().is_empty() { "(no text)".to_string() } else { body };
    let new = NewComment {
        id: comment_id.clone(),
        body,
        visibility: Visibility::Public,
        author: Author::Contact(contact_id.clone()),
        via: "email",
        status: None,
        attachments,
    };
    add_in(conn, keys, config, actor, &ticket_id, new)?;
    Ok(InboundResult {
        outcome,
        reason: None,
        ticket_id: Some(ticket_id),
        comment_id: Some(comment_id),
        contact_id: Some(contact_id),
        contact_created,
    })
}

/// The sender's contact: the one holding their address, or a new one (which needs the right to
/// write contacts).
fn sender_contact(conn: &mut DbConnection, keys: &Keys, actor: &Actor, from: &Party) -> ApiResult<(String, bool)> {
    if let Some(id) = crm_contacts::contact::service::holding_email(conn, &actor.scope(), &from.address)? {
        return Ok((id, false));
    }
    actor.require(crm_contacts::permissions::CONTACTS, Action::Write)?;
    let name = from.name.as_deref().map(str::trim).filter(|n| !n.is_empty() && !n.contains('@'));
    let (first_name, last_name) = match name.map(|n| n.rsplit_once(' ').map(|(f, l)| (f.trim(), l)).unwrap_or(("", n)))
    {
        Some((first, last)) => (Some(first.to_string()).filter(|f| !f.is_empty()), Some(last.to_string())),
        None => (None, None),
    };
    let contact = ContactIn {
        first_name,
        last_name,
        emails: Some(vec![EmailEntry { address: from.address.clone(), kind: Default::default(), primary: true }]),
        lead_source: Some("email".to_string()),
        ..Default::default()
    };
    Ok((crm_contacts::contact::service::create_from(conn, keys, actor, contact)?.id, true))
}

/// The ticket `[#<number>]` in the subject names, when the sender is its requester (a number
/// is easy to guess; a Message-ID is not).
fn by_subject_token(conn: &mut DbConnection, actor: &Actor, subject: &str, sender: &str) -> ApiResult<Option<String>> {
    let Some(number) = subject_number(subject) else { return Ok(None) };
    let Some(id) = tickets::find_by_number(conn, &actor.org_id, number)? else { return Ok(None) };
    let ticket = tickets::find(conn, &actor.scope().unrestricted(), &id)?;
    Ok(ticket.filter(|t| t.requester_id.as_deref() == Some(sender)).map(|t| t.id))
}

/// The number of the first `[#<digits>]` in a subject.
fn subject_number(subject: &str) -> Option<i64> {
    subject.match_indices("[#").find_map(|(at, _)| {
        let rest = &subject[at + 2..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty() && rest[digits.len()..].starts_with(']')).then(|| digits.parse().ok()).flatten()
    })
}

/// A reply's own text: what comes before the quoted message it answers (`On … wrote:`, an
/// Outlook `-----Original Message-----`, or the `>` lines that end it). All of it when that
/// leaves nothing.
fn reply_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        let header = (line.starts_with("On ") && line.ends_with("wrote:"))
            || line.starts_with("-----Original Message-----")
            || (line.starts_with("Am ") && line.ends_with("schrieb:"))
            || (line.starts_with("Le ") && line.ends_with("a écrit :"));
        if header {
            end = i;
            break;
        }
    }
    while end > 0 && (lines[end - 1].trim_start().starts_with('>') || lines[end - 1].trim().is_empty()) {
        end -= 1;
    }
    let own = lines[..end].join("\n").trim().to_string();
    if own.is_empty() { text.trim().to_string() } else { own + "\n" }
}

#[cfg(test)]
mod tests {
    use super::{reply_text, subject_number};

    #[test]
    fn the_subject_token_is_read() {
        assert_eq!(subject_number("Re: [#1042] Cannot export"), Some(1042));
        assert_eq!(subject_number("[#x] then [#7]"), Some(7));
        assert_eq!(subject_number("[#12 no close"), None);
        assert_eq!(subject_number("#12"), None);
    }

    #[test]
    fn quoted_history_is_cut() {
        let gmail = "Still broken.\n\nOn Mon, 7 Dec 2026 at 09:20, Acme support <support@acme.example> wrote:\n> Could you try again?\n";
        assert_eq!(reply_text(gmail), "Still broken.\n");
        assert_eq!(reply_text("Thanks!\n> quoted\n>\n"), "Thanks!\n");
        assert_eq!(reply_text("> only quoted\n"), "> only quoted");
        let outlook = "Works now.\r\n-----Original Message-----\r\nFrom: x\r\n";
        assert_eq!(reply_text(outlook), "Works now.\n");
    }
}
