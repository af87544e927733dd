//! Comment use cases. A comment, its ticket's change of status, the e-mail carrying an agent's
//! public reply to the requester, and their events are one transaction: the reply goes out
//! (from the job queue) exactly when the comment is stored.

use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::config::Config;
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::Page;
use crm_core::mail::{self, Outgoing};
use crm_core::state::AppState;

use super::dto::{AttachmentOut, CommentAdded, CommentIn, CommentOut, CommentsQuery, Visibility};
use super::model::{self, Comment};
use crate::permissions;
use crate::ticket::dto::{TicketIn, TicketOut, TicketStatus};
use crate::ticket::model::RECORD_TYPE;
use crate::ticket::service::{self as tickets, TICKETS};

/// Who wrote a comment.
pub(crate) enum Author {
    /// The caller: a user or an API key, as an agent.
    Agent,
    /// The requester (or another contact), writing in by e-mail.
    Contact(String),
}

/// A comment to add, from the API or an e-mail.
pub(crate) struct NewComment {
    pub id: String,
    pub body: String,
    pub visibility: Visibility,
    pub author: Author,
    pub via: &'static str,
    pub status: Option<TicketStatus>,
    pub attachments: Vec<AttachmentOut>,
}

/// What a comment does to the ticket's status when it names none: a new ticket an agent
/// answers in public is being worked (`open`); any new public reply reopens a solved ticket
/// (an agent keeps it solved by saying so), and the requester's reopens a pending one.
fn status_after(before: TicketStatus, agent: bool, public: bool) -> TicketStatus {
    match before {
        TicketStatus::New if agent && public => TicketStatus::Open,
        TicketStatus::Solved if public => TicketStatus::Open,
        TicketStatus::Pending if !agent && public => TicketStatus::Open,
        status => status,
    }
}

/// Adds the comment to the ticket on the caller's connection: the ticket's new status (its
/// `ticket.status_changed` or `ticket.updated`), the comment (`ticket.comment_added`), and, for
/// an agent's public reply, the e-mail to the requester threaded under the ticket's earlier
/// messages.
pub(crate) fn add_in(
    conn: &mut DbConnection,
    keys: &Keys,
    config: &Config,
    actor: &Actor,
    ticket_id: &str,
    new: NewComment,
) -> ApiResult<CommentAdded> {
    let scope = actor.scope();
    let now = crm_core::time::now();
    let agent = matches!(new.author, Author::Agent);
    let public = new.visibility == Visibility::Public;
    let ticket = TICKETS.update_named(conn, actor, ticket_id, None, |conn, before| {
        if before.status == TicketStatus::Closed {
            return Err(tickets::closed(ticket_id));
        }
        let mut draft = TicketIn::from(before.clone());
        draft.status = Some(new.status.unwrap_or_else(|| status_after(before.status, agent, public)));
        tickets::edit(conn, actor, draft, before, (agent && public).then_some(now))
    })?;
    let mut writes = Vec::new();
    let mut mail_message_id = None;
    if agent
        && public
        && let Some(to) = requester_address(conn, actor, &ticket)?
    {
        let (in_reply_to, references) = model::thread(conn, &scope, ticket_id)?;
        let subject =
            format!("{}[#{}] {}", if in_reply_to.is_some() { "Re: " } else { "" }, ticket.number, ticket.subject);
        let outgoing = Outgoing {
            to: vec![to],
            subject,
            text: new.body.clone(),
            html: None,
            in_reply_to,
            references,
            record: Some((RECORD_TYPE.to_string(), ticket_id.to_string())),
        };
        let message = mail::queue(conn, keys, actor, config, outgoing)?;
        writes.push(model::insert_message(&scope, &message.message_id, ticket_id, Some(&new.id), now));
        mail_message_id = Some(message.id);
    }
    let (author_type, author_id) = match new.author {
        Author::Agent => (actor.actor_type().to_string(), actor.principal_id().to_string()),
        Author::Contact(id) => ("contact".to_string(), id),
    };
    let comment = Comment {
        id: new.id,
        ticket_id: ticket_id.to_string(),
        body: new.body,
        visibility: new.visibility.as_str().to_string(),
        author_type,
        author_id,
        via: new.via.to_string(),
        mail_message_id,
        attachments: serde_json::to_string(&new.attachments)?,
        created_at: now,
    };
    writes.insert(0, model::insert(&scope, &comment));
    let comment = CommentOut::from(comment);
    let after = serde_json::to_value(&comment)?;
    let change =
        Change { resource: RECORD_TYPE, id: ticket_id, action: "comment_added", before: None, after: Some(&after) };
    change::record_with(conn, actor, change, writes)?;
    Ok(CommentAdded { comment, ticket })
}

/// The requester's e-mail address, when the ticket has a requester with one.
fn requester_address(conn: &mut DbConnection, actor: &Actor, ticket: &TicketOut) -> ApiResult<Option<String>> {
    let Some(requester) = &ticket.requester_id else { return Ok(None) };
    let everything = actor.scope().unrestricted();
    Ok(crm_contacts::contact::model::find(conn, &everything, requester)?.and_then(|c| c.email))
}

/// Adds an agent's comment to a ticket (201), e-mailing a public one to the requester.
pub async fn add(state: &AppState, actor: &Actor, ticket_id: String, input: CommentIn) -> ApiResult<CommentAdded> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let (actor, keys, config) = (actor.clone(), state.keys.clone(), state.config.clone());
    let new = NewComment {
        id: crm_core::id::new_id(model::ID_PREFIX),
        body: input.body,
        visibility: input.visibility.unwrap_or(Visibility::Public),
        author: Author::Agent,
        via: "api",
        status: input.status,
        attachments: Vec::new(),
    };
    if new.body.trim().is_empty() {
        return Err(ApiError::invalid_field("/body", "required", "a comment needs a body"));
    }
    state.db.write(move |conn| add_in(conn, &keys, &config, &actor, &ticket_id, new)).await
}

/// A page of a ticket's comments, oldest first (404 for a ticket out of the caller's sight).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    ticket_id: String,
    query: CommentsQuery,
) -> ApiResult<Page<CommentOut>> {
    actor.require(permissions::TICKETS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state
        .db
        .read(move |conn| {
            tickets::load(conn, &scope, &ticket_id)?;
            model::list(conn, &scope, &ticket_id, true, &for_query)
        })
        .await?;
    Ok(crm_core::http::page(rows, &plan, |c| model::SORTS.position(&plan, c), CommentOut::from))
}

/// One comment of a ticket the caller may see.
pub async fn get(state: &AppState, actor: &Actor, ticket_id: String, comment_id: String) -> ApiResult<CommentOut> {
    actor.require(permissions::TICKETS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            tickets::load(conn, &scope, &ticket_id)?;
            model::find(conn, &scope, &ticket_id, &comment_id)?
                .map(CommentOut::from)
                .ok_or_else(|| ApiError::not_found("comment"))
        })
        .await
}

/// An attachment of a comment: its stored file (size, chunks) and how to name it.
pub async fn attachment(
    state: &AppState,
    actor: &Actor,
    ticket_id: String,
    comment_id: String,
    file_id: String,
) -> ApiResult<(AttachmentOut, crm_core::files::FileRow)> {
    let comment = get(state, actor, ticket_id, comment_id).await?;
    let shown = comment
        .attachments
        .into_iter()
        .find(|a| a.file_id == file_id)
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    let scope = actor.scope();
    let file = state
        .db
        .read(move |conn| crm_core::files::model::find(conn, &scope, &file_id))
        .await?
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    Ok((shown, file))
}

#[cfg(test)]
mod tests {
    use super::status_after;
    use crate::ticket::dto::TicketStatus::*;

    #[test]
    fn replies_move_the_ticket_along() {
        assert_eq!(status_after(New, true, true), Open);
        assert_eq!(status_after(New, true, false), New, "an internal note is no answer");
        assert_eq!(status_after(Pending, false, true), Open);
        assert_eq!(status_after(Solved, false, true), Open);
        assert_eq!(status_after(Solved, true, true), Open);
        assert_eq!(status_after(Solved, true, false), Solved, "an internal note reopens nothing");
        assert_eq!(status_after(Pending, true, true), Pending);
        assert_eq!(status_after(OnHold, false, true), OnHold);
    }
}
