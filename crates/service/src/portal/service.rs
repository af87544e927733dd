//! Portal use cases. A customer acts through the platform on their behalf (the system actor of
//! their organization: audit rows and events say `system`), and only ever on tickets they
//! requested: anyone else's answers 404, as does a ticket of another organization.

use chrono::Duration;
use crm_core::auth::customer::{self, Customer};
use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, page};
use crm_core::mail::{self, Outgoing};
use crm_core::normalize::Email;
use crm_core::scope::Scope;
use crm_core::state::AppState;
use diesel::prelude::*;

use super::dto::{
    MeOut, PortalCommentOut, PortalQuery, PortalReplyIn, PortalTicketIn, PortalTicketOut, RatingIn, SessionIn,
    SignInIn, TokenIn, TokenOut,
};
use crate::comment::dto::Visibility;
use crate::comment::service::{Author, NewComment, add_in};
use crate::permissions;
use crate::schema::ticket_ratings;
use crate::survey::dto::{ResponseOut, SurveyKind};
use crate::ticket::dto::{Channel, TicketIn, TicketOut, TicketStatus};

/// How long a customer's session lasts after signing in by e-mail.
const SESSION: Duration = Duration::hours(24);
/// How long an e-mailed sign-in code works.
const SIGN_IN_CODE: Duration = Duration::minutes(15);

/// A customer token for one of the organization's contacts (201).
pub async fn mint(state: &AppState, actor: &Actor, input: TokenIn) -> ApiResult<TokenOut> {
    actor.require(permissions::TICKETS, Action::Write)?;
    actor.require(crm_contacts::permissions::CONTACTS, Action::Read)?;
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            crm_contacts::contact::model::find(conn, &scope, &input.contact_id)?.ok_or_else(|| {
                ApiError::invalid_field("/contact_id", "unknown_contact", "must be a contact you can see")
            })?;
            let lifetime = Duration::minutes(input.expires_in_minutes.unwrap_or(60));
            let (_, token, expires_at) =
                customer::issue(conn, &keys, scope.org_id(), &input.contact_id, customer::ACCESS, lifetime)?;
            Ok(TokenOut { token, contact_id: input.contact_id, expires_at })
        })
        .await
}

/// Revokes every customer token of a contact: how many were live.
pub async fn revoke(state: &AppState, actor: &Actor, contact_id: String) -> ApiResult<usize> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            crm_contacts::contact::model::find(conn, &scope, &contact_id)?
                .ok_or_else(|| ApiError::not_found("contact"))?;
            customer::revoke_all(conn, scope.org_id(), &contact_id)
        })
        .await
}

/// The organization whose knowledge-base site (the portal's public address) has this slug.
async fn organization(state: &AppState, slug: String) -> ApiResult<(String, String)> {
    let site = state.db.read(move |conn| crate::kb::model::site_by_slug(conn, &slug)).await?;
    let site = site.ok_or_else(|| ApiError::not_found("portal"))?;
    Ok((site.org_id, site.name))
}

/// E-mails a one-time sign-in code to the contact holding the address, if one does; answers
/// the same either way (no one learns who is a customer).
pub async fn sign_in(state: &AppState, slug: String, input: SignInIn) -> ApiResult<()> {
    let (org_id, site) = organization(state, slug).await?;
    let Ok(email) = Email::parse(&input.email) else {
        return Err(ApiError::invalid_field("/email", "invalid_email", "must be an e-mail address"));
    };
    let (keys, config) = (state.keys.clone(), state.config.clone());
    state
        .db
        .write(move |conn| {
            let actor = crm_core::jobs::schedule::system_actor(&org_id);
            let Some(contact) = crm_contacts::contact::service::holding_email(conn, &actor.scope(), email.as_str())? else {
                return Ok(());
            };
            let (_, code, _) = customer::issue(conn, &keys, &org_id, &contact, customer::SIGN_IN, SIGN_IN_CODE)?;
            let outgoing = Outgoing {
                to: vec![email.as_str().to_string()],
                subject: format!("Your sign-in code for {site}"),
                text: format!(
                    "Hello,\n\nuse this code to sign in to {site}:\n\n{code}\n\nIt works once, for 15 minutes. If you did not \
                     ask for it, ignore this message.\n"
                ),
                record: Some(("contact".to_string(), contact)),
                ..Default::default()
            };
            mail::queue(conn, &keys, &actor, &config, outgoing)?;
            Ok(())
        })
        .await
}

/// Exchanges an e-mailed code for a session token (once).
pub async fn session(state: &AppState, slug: String, input: SessionIn) -> ApiResult<TokenOut> {
    let (org_id, _) = organization(state, slug).await?;
    let keys = state.keys.clone();
    state
        .db
        .write(move |conn| {
            let contact = customer::redeem(conn, &keys, &org_id, input.code.trim())?
                .ok_or_else(|| ApiError::unauthorized("The code is invalid, expired or used."))?;
            let (_, token, expires_at) = customer::issue(conn, &keys, &org_id, &contact, customer::ACCESS, SESSION)?;
            Ok(TokenOut { token, contact_id: contact, expires_at })
        })
        .await
}

fn scope_of(customer: &Customer) -> Scope {
    customer.actor("").scope()
}

pub async fn me(state: &AppState, customer: &Customer) -> ApiResult<MeOut> {
    let (scope, id) = (scope_of(customer), customer.contact_id.clone());
    let contact = state.db.read(move |conn| crm_contacts::contact::model::find(conn, &scope, &id)).await?;
    let c = contact.ok_or_else(|| ApiError::unauthorized("The customer is gone."))?;
    Ok(MeOut { contact_id: c.id, first_name: c.first_name, last_name: c.last_name, email: c.email })
}

/// The customer's own ticket (404 for anyone else's).
fn own(conn: &mut DbConnection, customer: &Customer, id: &str) -> ApiResult<TicketOut> {
    let ticket = crate::ticket::service::load(conn, &scope_of(customer), id)?;
    if ticket.requester_id.as_deref() != Some(customer.contact_id.as_str()) {
        return Err(ApiError::not_found("ticket"));
    }
    Ok(ticket)
}

fn ratings(conn: &mut DbConnection, org_id: &str, ticket_ids: &[&str]) -> ApiResult<Vec<ResponseOut>> {
    let rows: Vec<(String, String, i32, Option<String>, chrono::NaiveDateTime)> = ticket_ratings::table
        .filter(ticket_ratings::org_id.eq(org_id))
        .filter(ticket_ratings::ticket_id.eq_any(ticket_ids))
        .select((
            ticket_ratings::ticket_id,
            ticket_ratings::contact_id,
            ticket_ratings::score,
            ticket_ratings::comment,
            ticket_ratings::updated_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(ticket_id, contact_id, score, comment, updated_at)| ResponseOut {
            id: ticket_id.clone(),
            kind: SurveyKind::Csat,
            survey_id: None,
            ticket_id: Some(ticket_id),
            contact_id,
            score,
            comment,
            updated_at,
        })
        .collect())
}

/// The customer's tickets, newest first.
pub async fn tickets(state: &AppState, customer: &Customer, query: PortalQuery) -> ApiResult<Page<PortalTicketOut>> {
    let customer = customer.clone();
    let request = crm_core::filter::SearchRequest::of_list(None, query.paging("-created_at"));
    state
        .db
        .read(move |conn| {
            let scope = scope_of(&customer);
            let filters =
                crate::ticket::model::Filters { requester_id: Some(customer.contact_id.clone()), ..Default::default() };
            let load = |conn: &mut DbConnection, conditions, plan: &_| {
                crate::ticket::model::list(conn, &scope, &filters, conditions, plan)
            };
            let Page { data, has_more, next_cursor } =
                crate::ticket::model::LISTING.page(conn, &scope, &request, load, |_, t| TicketOut::from(t))?;
            let ids: Vec<&str> = data.iter().map(|t| t.id.as_str()).collect();
            let rated = ratings(conn, scope.org_id(), &ids)?;
            let data = data
                .into_iter()
                .map(|t| {
                    let rating = rated.iter().find(|r| r.ticket_id.as_deref() == Some(t.id.as_str())).cloned();
                    PortalTicketOut::of(t, rating)
                })
                .collect();
            Ok(Page { data, has_more, next_cursor })
        })
        .await
}

pub async fn ticket(state: &AppState, customer: &Customer, id: String) -> ApiResult<PortalTicketOut> {
    let customer = customer.clone();
    state
        .db
        .read(move |conn| {
            let ticket = own(conn, &customer, &id)?;
            let rating = ratings(conn, &customer.org_id, &[id.as_str()])?.pop();
            Ok(PortalTicketOut::of(ticket, rating))
        })
        .await
}

/// Opens a ticket for the customer (channel `web`).
pub async fn open(state: &AppState, customer: &Customer, input: PortalTicketIn) -> ApiResult<PortalTicketOut> {
    let customer = customer.clone();
    state
        .db
        .write(move |conn| {
            let ticket = TicketIn {
                subject: input.subject,
                description: Some(input.description),
                channel: Some(Channel::Web),
                requester_id: Some(customer.contact_id.clone()),
                ..Default::default()
            };
            Ok(PortalTicketOut::of(crate::ticket::service::create_in(conn, &customer.actor(""), ticket)?, None))
        })
        .await
}

fn comment_out(c: crate::comment::dto::CommentOut) -> PortalCommentOut {
    PortalCommentOut {
        id: c.id,
        body: c.body,
        from_customer: c.author_type == "contact",
        attachments: c.attachments,
        created_at: c.created_at,
    }
}

/// The public conversation of the customer's ticket, oldest first: never an internal note.
pub async fn comments(
    state: &AppState,
    customer: &Customer,
    id: String,
    query: PortalQuery,
) -> ApiResult<Page<PortalCommentOut>> {
    let plan = crate::comment::model::SORTS.plan(&query.paging("created_at"), &[])?;
    let (customer, for_query) = (customer.clone(), plan.clone());
    let rows = state
        .db
        .read(move |conn| {
            own(conn, &customer, &id)?;
            crate::comment::model::list(conn, &scope_of(&customer), &id, false, &for_query)
        })
        .await?;
    Ok(page(rows, &plan, |c| crate::comment::model::SORTS.position(&plan, c), |c| comment_out(c.into())))
}

/// The customer's reply: a public comment that reopens the ticket when pending or solved.
pub async fn reply(
    state: &AppState,
    customer: &Customer,
    id: String,
    input: PortalReplyIn,
) -> ApiResult<PortalCommentOut> {
    if input.body.trim().is_empty() {
        return Err(ApiError::invalid_field("/body", "required", "a reply needs a body"));
    }
    let (customer, keys, config) = (customer.clone(), state.keys.clone(), state.config.clone());
    state
        .db
        .write(move |conn| {
            own(conn, &customer, &id)?;
            let new = NewComment {
                id: crm_core::id::new_id(crate::comment::model::ID_PREFIX),
                body: input.body,
                visibility: Visibility::Public,
                author: Author::Contact(customer.contact_id.clone()),
                via: "portal",
                status: None,
                attachments: Vec::new(),
            };
            Ok(comment_out(add_in(conn, &keys, &config, &customer.actor(""), &id, new)?.comment))
        })
        .await
}

/// Rates a solved (or closed) ticket, or changes the rating (`survey.response_received`).
pub async fn rate(state: &AppState, customer: &Customer, id: String, input: RatingIn) -> ApiResult<ResponseOut> {
    let customer = customer.clone();
    state
        .db
        .write(move |conn| {
            let ticket = own(conn, &customer, &id)?;
            if !matches!(ticket.status, TicketStatus::Solved | TicketStatus::Closed) {
                return Err(ApiError::conflict("ticket_not_solved", "A ticket is rated once it is solved."));
            }
            crate::survey::service::record_rating(
                conn,
                &customer.actor(""),
                &id,
                &customer.contact_id,
                input.score,
                input.comment,
                None,
            )
        })
        .await
}
