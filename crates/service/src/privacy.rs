//! The service domain's part of erasing a contact ([`crm_core::privacy::Eraser`]). The tickets
//! the person asked keep their place in the reports but lose the person: the description, their
//! own words, goes whole, and the subject keeps only what does not name them. Their comments
//! anywhere go whole with their attachments (the files deleted); everyone else's comments on
//! their tickets lose what names them. Their rating and survey comments go; the scores stay.

use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::privacy::{ERASED, Erasure, Scrubbed, scrub_text};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::comment::dto::AttachmentOut;
use crate::comment::model::Comment;
use crate::schema::{survey_responses, ticket_comments, ticket_ratings, tickets};
use crate::ticket::model::{self as ticket_model, Ticket};
use crate::ticket::service::TICKETS;

pub fn erase(conn: &mut DbConnection, scope: &Scope, erasure: &Erasure<'_>) -> ApiResult<Vec<Scrubbed>> {
    // The trash included: a ticket there is still theirs. Locked before they are read, so that
    // a concurrent edit is neither lost nor left unscrubbed.
    let ids: Vec<String> = tickets::table
        .filter(tickets::org_id.eq(scope.org_id()))
        .filter(tickets::requester_id.eq(erasure.contact_id))
        .select(tickets::id)
        .load(conn)?;
    TICKETS.lock_many(conn, scope, &ids.iter().map(String::as_str).collect::<Vec<_>>())?;
    let asked: Vec<Ticket> = tickets::table
        .filter(tickets::org_id.eq(scope.org_id()))
        .filter(tickets::id.eq_any(&ids))
        .filter(tickets::requester_id.eq(erasure.contact_id))
        .select(Ticket::as_select())
        .load(conn)?;
    let mut ticket_ids = Vec::new();
    for t in &asked {
        let set = vec![
            ("subject", Piece::Text(scrub_text(&t.subject, erasure.needles))),
            ("description", Piece::OptionalText(t.description.as_ref().map(|_| ERASED.to_string()))),
            ("updated_at", Piece::Time(crm_core::time::now())),
        ];
        let saved: Ticket = TICKETS.save(conn, scope, &t.id, set)?;
        crate::ticket::service::index(conn, scope, &saved)?;
        ticket_ids.push(t.id.clone());
    }

    let comments: Vec<Comment> = ticket_comments::table
        .filter(ticket_comments::org_id.eq(scope.org_id()))
        .filter(
            ticket_comments::ticket_id
                .eq_any(&ticket_ids)
                .or(ticket_comments::author_type.eq("contact").and(ticket_comments::author_id.eq(erasure.contact_id))),
        )
        .select(Comment::as_select())
        .load(conn)?;
    let mut comment_ids = Vec::new();
    for c in comments {
        let theirs = c.author_type == "contact" && c.author_id == erasure.contact_id;
        let body = if theirs { ERASED.to_string() } else { scrub_text(&c.body, erasure.needles) };
        if theirs {
            let files: Vec<AttachmentOut> = serde_json::from_str(&c.attachments).unwrap_or_default();
            for file in &files {
                crm_core::files::model::delete(conn, scope, &file.file_id)?;
            }
        } else if body == c.body {
            continue;
        }
        diesel::update(ticket_comments::table)
            .filter(ticket_comments::org_id.eq(scope.org_id()))
            .filter(ticket_comments::id.eq(&c.id))
            .set((
                ticket_comments::body.eq(body),
                ticket_comments::attachments.eq(if theirs { "[]" } else { &c.attachments }),
            ))
            .execute(conn)?;
        comment_ids.push(c.id);
    }

    diesel::update(ticket_ratings::table)
        .filter(ticket_ratings::org_id.eq(scope.org_id()))
        .filter(ticket_ratings::contact_id.eq(erasure.contact_id))
        .set(ticket_ratings::comment.eq(None::<String>))
        .execute(conn)?;
    diesel::update(survey_responses::table)
        .filter(survey_responses::org_id.eq(scope.org_id()))
        .filter(survey_responses::contact_id.eq(erasure.contact_id))
        .set(survey_responses::comment.eq(None::<String>))
        .execute(conn)?;
    Ok(vec![
        Scrubbed { record_type: ticket_model::RECORD_TYPE, ids: ticket_ids },
        Scrubbed { record_type: "ticket_comment", ids: comment_ids },
    ])
}
