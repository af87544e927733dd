//! The trash purge: contacts, companies and activities deleted more than
//! `trash_retention_days` ago are deleted for good, with everything that hangs off them.
//! Runs as the hourly `contacts.trash_purge` job of each organization; each purged record gets a
//! `<type>.purged` event (payload: its id) and an audit entry by the `system` actor.

use chrono::NaiveDateTime;
use crm_core::change::{self, Change};
use crm_core::db::{Db, DbConnection};
use crm_core::error::ApiResult;
use crm_core::jobs::schedule::system_actor;
use crm_core::jobs::{JobContext, JobError, JobResult};
use crm_core::schema::{
    activities, activity_links, companies, contact_companies, contact_consents, contact_emails, contact_erasures,
    contact_subscriptions, contacts, external_ids, record_tags,
};
use crm_core::scope::Scope;
use diesel::prelude::*;

/// Records purged per transaction: short transactions keep SQLite's one writer available.
const BATCH: i64 = 200;

/// How many records a purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub contacts: usize,
    pub companies: usize,
    pub activities: usize,
}

impl Purged {
    pub fn total(&self) -> usize {
        self.contacts + self.companies + self.activities
    }
}

pub const PURGE_KIND: &str = "contacts.trash_purge";

/// The scheduled job: purges the organization's trash older than the configured retention.
pub fn run_purge(ctx: &JobContext) -> JobResult {
    let settings = crate::settings::ContactsSettings::of(&ctx.state.config).map_err(JobError::Permanent)?;
    let cutoff = crm_core::time::now() - chrono::Duration::days(settings.trash_retention_days);
    let purged = purge_trash(&ctx.db, &ctx.actor.scope(), cutoff)?;
    if purged.total() > 0 {
        log::info!(
            "{}: purged from the trash {} contacts, {} companies, {} activities",
            ctx.actor.org_id,
            purged.contacts,
            purged.companies,
            purged.activities
        );
    }
    Ok(())
}

/// Purges the organization's records trashed before `cutoff`, one short transaction per batch.
pub fn purge_trash(db: &Db, scope: &Scope, cutoff: NaiveDateTime) -> ApiResult<Purged> {
    let mut total = Purged::default();
    loop {
        let batch = db.write_now(|conn| purge_batch(conn, scope, cutoff, BATCH))?;
        total.contacts += batch.contacts;
        total.companies += batch.companies;
        total.activities += batch.activities;
        if batch.total() == 0 {
            return Ok(total);
        }
    }
}

fn record(conn: &mut DbConnection, scope: &Scope, resource: &str, id: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    let after = serde_json::json!({"id": id});
    change::record(
        conn,
        &system_actor(org_id),
        Change { resource, id, action: "purged", before: None, after: Some(&after) },
    )
}

fn untag(conn: &mut DbConnection, scope: &Scope, record_type: &str, id: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::delete(
        record_tags::table
            .filter(record_tags::org_id.eq(org_id))
            .filter(record_tags::record_type.eq(record_type))
            .filter(record_tags::record_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        external_ids::table
            .filter(external_ids::org_id.eq(org_id))
            .filter(external_ids::record_type.eq(record_type))
            .filter(external_ids::record_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        activity_links::table
            .filter(activity_links::org_id.eq(org_id))
            .filter(activity_links::record_type.eq(record_type))
            .filter(activity_links::record_id.eq(id)),
    )
    .execute(conn)?;
    crm_core::custom_fields::model::set_values(conn, scope, record_type, id, &[])?;
    crm_core::search_index::remove(conn, scope, id)
}

/// One batch of each record type, oldest trash first.
pub fn purge_batch(conn: &mut DbConnection, scope: &Scope, cutoff: NaiveDateTime, limit: i64) -> ApiResult<Purged> {
    let org_id = scope.org_id();
    let mut purged = Purged::default();

    let trashed: Vec<(String, String)> = activities::table
        .filter(activities::org_id.eq(org_id))
        .filter(activities::deleted_at.lt(cutoff))
        .order(activities::deleted_at.asc())
        .limit(limit)
        .select((activities::org_id, activities::id))
        .load(conn)?;
    for (org, id) in trashed {
        diesel::delete(
            activity_links::table.filter(activity_links::org_id.eq(&org)).filter(activity_links::activity_id.eq(&id)),
        )
        .execute(conn)?;
        untag(conn, scope, "activity", &id)?;
        diesel::delete(activities::table.filter(activities::org_id.eq(&org)).filter(activities::id.eq(&id)))
            .execute(conn)?;
        record(conn, scope, "activity", &id)?;
        purged.activities += 1;
    }

    let trashed: Vec<(String, String)> = contacts::table
        .filter(contacts::org_id.eq(org_id))
        .filter(contacts::deleted_at.lt(cutoff))
        .order(contacts::deleted_at.asc())
        .limit(limit)
        .select((contacts::org_id, contacts::id))
        .load(conn)?;
    for (org, id) in trashed {
        diesel::delete(
            contact_emails::table.filter(contact_emails::org_id.eq(&org)).filter(contact_emails::contact_id.eq(&id)),
        )
        .execute(conn)?;
        diesel::delete(
            contact_companies::table
                .filter(contact_companies::org_id.eq(&org))
                .filter(contact_companies::contact_id.eq(&id)),
        )
        .execute(conn)?;
        diesel::delete(
            contact_consents::table
                .filter(contact_consents::org_id.eq(&org))
                .filter(contact_consents::contact_id.eq(&id)),
        )
        .execute(conn)?;
        diesel::delete(
            contact_subscriptions::table
                .filter(contact_subscriptions::org_id.eq(&org))
                .filter(contact_subscriptions::contact_id.eq(&id)),
        )
        .execute(conn)?;
        diesel::delete(
            contact_erasures::table
                .filter(contact_erasures::org_id.eq(&org))
                .filter(contact_erasures::contact_id.eq(&id)),
        )
        .execute(conn)?;
        untag(conn, scope, "contact", &id)?;
        diesel::delete(contacts::table.filter(contacts::org_id.eq(&org)).filter(contacts::id.eq(&id))).execute(conn)?;
        record(conn, scope, "contact", &id)?;
        purged.contacts += 1;
    }

    let trashed: Vec<(String, String)> = companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::deleted_at.lt(cutoff))
        .order(companies::deleted_at.asc())
        .limit(limit)
        .select((companies::org_id, companies::id))
        .load(conn)?;
    for (org, id) in trashed {
        // Trashed subsidiaries may still point at it (live ones cannot: their parent was never trashed).
        diesel::update(companies::table.filter(companies::org_id.eq(&org)).filter(companies::parent_id.eq(&id)))
            .set(companies::parent_id.eq(None::<String>))
            .execute(conn)?;
        diesel::delete(
            contact_companies::table
                .filter(contact_companies::org_id.eq(&org))
                .filter(contact_companies::company_id.eq(&id)),
        )
        .execute(conn)?;
        untag(conn, scope, "company", &id)?;
        diesel::delete(companies::table.filter(companies::org_id.eq(&org)).filter(companies::id.eq(&id)))
            .execute(conn)?;
        record(conn, scope, "company", &id)?;
        purged.companies += 1;
    }
    Ok(purged)
}
