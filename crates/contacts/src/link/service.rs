//! Linking contacts and companies.

use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::state::AppState;

use super::dto::{ContactCompanies, ContactCompany, LinkIn, LinkOut};
use super::model::{self, Link};
use crate::company::dto::CompanyOut;
use crate::permissions;

fn out(link: Link) -> LinkOut {
    LinkOut {
        contact_id: link.contact_id,
        company_id: link.company_id,
        role: link.role,
        primary: link.is_primary,
        created_at: link.created_at,
    }
}

/// Links a contact to a company, or changes the link's role and primary flag.
pub async fn link(
    state: &AppState,
    actor: &Actor,
    contact_id: String,
    company_id: String,
    input: LinkIn,
) -> ApiResult<LinkOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state.db.write(move |conn| link_in(conn, &actor, &contact_id, &company_id, input)).await
}

/// Links on the caller's connection (the link endpoint, imports, other domains' use cases).
pub fn link_in(
    conn: &mut DbConnection,
    actor: &Actor,
    contact_id: &str,
    company_id: &str,
    input: LinkIn,
) -> ApiResult<LinkOut> {
    let (contact_id, company_id) = (contact_id.to_string(), company_id.to_string());
    let scope = actor.scope();
    // A contact's links are its state: one link change per contact at a time, so two first
    // links cannot both become primary.
    crate::contact::service::CONTACTS.lock(conn, &scope, &contact_id)?;
    crate::contact::model::find(conn, &scope, &contact_id)?.ok_or_else(|| ApiError::not_found("contact"))?;
    crate::company::model::find(conn, &scope, &company_id)?.ok_or_else(|| ApiError::not_found("company"))?;
    let before = model::find(conn, &scope, &contact_id, &company_id)?.map(out);
    let first = before.is_none() && model::count_for_contact(conn, &scope, &contact_id)? == 0;
    let primary = input.primary || first || before.as_ref().is_some_and(|b| b.primary);
    let role = input.role.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    // Linking again with the same role and flag changes nothing: no write, no event.
    if let Some(unchanged) = before.as_ref().filter(|b| b.role == role && b.primary == primary) {
        return Ok(unchanged.clone());
    }
    model::upsert(conn, &scope, &contact_id, &company_id, role.as_deref(), primary)?;
    if primary {
        model::clear_primary(conn, &scope, &contact_id, &company_id)?;
    }
    let after = model::find(conn, &scope, &contact_id, &company_id)?
        .map(out)
        .ok_or_else(|| ApiError::internal("link vanished"))?;
    let (b, a) = (before.as_ref().map(serde_json::to_value).transpose()?, serde_json::to_value(&after)?);
    change::record(
        conn,
        actor,
        Change { resource: "contact", id: &contact_id, action: "company_linked", before: b.as_ref(), after: Some(&a) },
    )?;
    Ok(after)
}

pub async fn unlink(state: &AppState, actor: &Actor, contact_id: String, company_id: String) -> ApiResult<()> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            // Two concurrent unlinks: the second finds no link (404), not a second event.
            crate::contact::service::CONTACTS.lock(conn, &actor.scope(), &contact_id)?;
            let before = model::find(conn, &actor.scope(), &contact_id, &company_id)?
                .map(out)
                .ok_or_else(|| ApiError::not_found("link"))?;
            model::delete(conn, &actor.scope(), &contact_id, &company_id)?;
            let b = serde_json::to_value(&before)?;
            change::record(
                conn,
                &actor,
                Change {
                    resource: "contact",
                    id: &contact_id,
                    action: "company_unlinked",
                    before: Some(&b),
                    after: None,
                },
            )
        })
        .await
}

pub async fn list_for_contact(state: &AppState, actor: &Actor, contact_id: String) -> ApiResult<ContactCompanies> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    let rows = state
        .db
        .read(move |conn| {
            crate::contact::model::find(conn, &scope, &contact_id)?.ok_or_else(|| ApiError::not_found("contact"))?;
            model::for_contact(conn, &scope, &contact_id)
        })
        .await?;
    let data = rows
        .into_iter()
        .map(|(link, company)| ContactCompany {
            company: CompanyOut::from(company),
            role: link.role,
            primary: link.is_primary,
        })
        .collect();
    Ok(ContactCompanies { data })
}
