//! Contact use cases: each one transaction, with its audit row and event.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::custom_fields::Schema;
use crm_core::custom_fields::values;
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::filter::SearchRequest;
use crm_core::http::{Page, Patch, trimmed};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use crm_core::state::AppState;
use crm_core::write::{Edit, Planned, Versioned};
use crm_core::{organizations, records, search_index};
use serde_json::{Map, Value};

use super::bulk::{BulkInput, BulkWrite, Written, match_key};
use super::dto::{
    BatchRequest, BatchResponse, ContactIn, ContactOut, ContactPatch, ContactsQuery, EmailEntry, LifecycleStage,
    MatchOn, PhoneEntry,
};
use super::model::{self, Contact, ContactFields, Filters, RECORD_TYPE};
use crate::normalize::{DEFAULT_REGION, Email, Phone};
use crate::permissions;
use crm_core::batch::Outcome;

/// A contact checked and in canonical form, ready to store.
#[derive(Clone, PartialEq)]
pub(crate) struct Normalized {
    pub(super) fields: ContactFields,
    /// As given: checked against the custom field definitions when stored.
    pub(super) custom: Map<String, Value>,
    pub(super) emails: Vec<String>,
    pub(super) tags: Vec<String>,
    pub(super) external_ids: BTreeMap<String, String>,
}

/// Checks and normalizes a whole contact: e-mails lower-cased, phones in E.164, one primary each.
pub(crate) fn normalize(input: ContactIn, region: &str) -> ApiResult<Normalized> {
    let mut errors = Vec::new();
    let mut emails: Vec<EmailEntry> = Vec::new();
    for (i, entry) in input.emails.unwrap_or_default().into_iter().enumerate() {
        match Email::parse(&entry.address) {
            Ok(email) if emails.iter().any(|e| e.address == email.as_str()) => {}
            Ok(email) => emails.push(EmailEntry { address: email.into_string(), ..entry }),
            Err(detail) => errors.push(FieldError::new(format!("/emails/{i}/address"), "invalid_email", detail)),
        }
    }
    let mut phones: Vec<PhoneEntry> = Vec::new();
    for (i, entry) in input.phones.unwrap_or_default().into_iter().enumerate() {
        match Phone::parse(&entry.number, region) {
            Ok(phone) => {
                let number = phone.into_string();
                if !phones.iter().any(|p| p.number == number) {
                    phones.push(PhoneEntry { number, ..entry });
                }
            }
            Err(detail) => errors.push(FieldError::new(format!("/phones/{i}/number"), "invalid_phone", detail)),
        }
    }
    if emails.iter().filter(|e| e.primary).count() > 1 {
        errors.push(FieldError::new("/emails", "several_primary", "only one e-mail can be primary"));
    }
    if phones.iter().filter(|p| p.primary).count() > 1 {
        errors.push(FieldError::new("/phones", "several_primary", "only one phone can be primary"));
    }
    let tags = match records::normalize_tags(&input.tags.unwrap_or_default(), "/tags") {
        Ok(tags) => tags,
        Err(e) => {
            errors.extend(e.errors);
            Vec::new()
        }
    };
    let external_ids = input.external_ids.unwrap_or_default();
    if let Err(e) = records::check_external_ids(&external_ids, "/external_ids") {
        errors.extend(e.errors);
    }
    let addresses = crate::common::normalize_addresses(input.addresses);
    let (first_name, last_name) = (trimmed(input.first_name), trimmed(input.last_name));
    if first_name.is_none() && last_name.is_none() && emails.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "",
            "name_or_email_required",
            "a contact needs a first name, a last name or an e-mail",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if !emails.is_empty() && !emails.iter().any(|e| e.primary) {
        emails[0].primary = true;
    }
    if !phones.is_empty() && !phones.iter().any(|p| p.primary) {
        phones[0].primary = true;
    }
    let email = emails.iter().find(|e| e.primary).map(|e| e.address.clone());
    let name = [last_name.as_deref(), first_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let sort_name = if name.is_empty() { email.clone().unwrap_or_default() } else { name.to_lowercase() };
    let fields = ContactFields {
        first_name,
        last_name,
        sort_name,
        email,
        phone: phones.iter().find(|p| p.primary).map(|p| p.number.clone()),
        emails: serde_json::to_string(&emails)?,
        phones: serde_json::to_string(&phones)?,
        addresses: serde_json::to_string(&addresses)?,
        job_title: trimmed(input.job_title),
        lifecycle_stage: input.lifecycle_stage.unwrap_or(LifecycleStage::Lead).as_str().to_string(),
        lead_source: trimmed(input.lead_source),
        owner_id: trimmed(input.owner_id),
        tags: serde_json::to_string(&tags)?,
        external_ids: serde_json::to_string(&external_ids)?,
        custom: String::new(),
    };
    Ok(Normalized {
        emails: emails.into_iter().map(|e| e.address).collect(),
        custom: input.custom.unwrap_or_default(),
        fields,
        tags,
        external_ids,
    })
}

/// Where a contact being stored comes from.
#[derive(Clone, Copy)]
enum Stored<'a> {
    New,
    /// An existing contact, as it was (when its stored form reads back): what did not change
    /// is not written again (an update of the job title rewrites no e-mail, tag or index row).
    Existing(Option<&'a Normalized>),
}

/// A contact ready to write: its stored fields (the owner given or defaulted, the custom values
/// checked) and what changed of what hangs off it.
struct Prepared {
    fields: ContactFields,
    /// The custom values as the API shows them, when they changed (and `fields.custom` holds
    /// them as stored); `None` leaves the stored ones alone.
    shown_custom: Option<Map<String, Value>>,
    emails_changed: bool,
    /// A new contact's custom value index, not written yet: it goes with the contact's row.
    custom_index: Option<Vec<Piece>>,
}

impl Prepared {
    /// The row's columns for an update, with a new `updated_at`: the custom values only when
    /// they changed (otherwise the stored ones stay, archived fields' values with them).
    fn columns(&self, updated_at: NaiveDateTime) -> Vec<(&'static str, Piece)> {
        let mut set = model::columns(&self.fields, self.shown_custom.is_some());
        set.push(("updated_at", Piece::Time(updated_at)));
        set
    }

    /// The record these fields make, one `version` written at these times (created, updated):
    /// what the write answers with, not read back. `before_custom` is shown when the custom
    /// values did not change.
    fn record(
        &self,
        id: &str,
        scope: &Scope,
        times: (NaiveDateTime, NaiveDateTime),
        version: i64,
        before_custom: Option<&Map<String, Value>>,
    ) -> ContactOut {
        let mut out = ContactOut::from(Contact::of(id, scope, self.fields.clone(), times, version));
        out.custom = self.shown_custom.clone().or_else(|| before_custom.cloned()).unwrap_or_default();
        out
    }
}

/// Checks a normalized contact against the stored data (owner, erased and taken e-mails, custom
/// field definitions); writes an existing contact's custom value index, and plans a new one's.
fn prepare(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    id: &str,
    contact: &Normalized,
    stored: Stored<'_>,
) -> ApiResult<Prepared> {
    let scope = actor.scope();
    let (exists, previous) = match stored {
        Stored::New => (false, None),
        Stored::Existing(previous) => (true, previous),
    };
    let owner_id = match &contact.fields.owner_id {
        None if !exists => scope.default_owner(conn, RECORD_TYPE)?,
        owner => owner.clone(),
    };
    if let Some(owner) = &owner_id
        && previous.is_none_or(|p| p.fields.owner_id != owner_id)
    {
        crm_core::users::model::check_owner(conn, &scope, owner)?;
    }
    let emails_changed = previous.is_none_or(|p| p.emails != contact.emails);
    if emails_changed {
        crate::privacy::service::refuse_erased(conn, keys, &scope, &contact.emails)?;
        if let Some((holder, email)) = model::holder_of_emails(conn, &scope, &contact.emails, Some(id))? {
            return Err(duplicate(&holder, &email));
        }
    }
    // Custom values the edit leaves alone are neither read nor written again.
    let mut fields = ContactFields { owner_id, ..contact.fields.clone() };
    let (mut shown_custom, mut custom_index) = (None, None);
    if !exists {
        let new = values::for_new_record(conn, &scope, RECORD_TYPE, id, &contact.custom)?;
        (fields.custom, shown_custom, custom_index) = (new.json, Some(new.shown), new.index);
    } else if previous.is_none_or(|p| p.custom != contact.custom) {
        let stored = model::stored_custom(conn, &scope, id)?;
        let (json, shown) = values::store(conn, &scope, RECORD_TYPE, id, &contact.custom, Some(&stored))?;
        (fields.custom, shown_custom) = (json, Some(shown));
    }
    Ok(Prepared { fields, shown_custom, emails_changed, custom_index })
}

/// Writes what hangs off an existing contact (`previous`: as it was, when its stored form reads
/// back): its e-mails, search document, tags and external ids, each only when it changed.
fn write_related(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    contact: &Normalized,
    previous: Option<&Normalized>,
    prepared: &Prepared,
) -> ApiResult<()> {
    if prepared.emails_changed {
        model::set_emails(conn, scope, id, &contact.emails)?;
    }
    if !previous.is_some_and(|p| same_document(p, contact)) {
        let indexed = Indexed::of(contact)?;
        search_index::put(conn, scope, &indexed.document(id, contact, prepared.fields.owner_id.as_deref()))?;
    }
    if previous.is_none_or(|p| p.tags != contact.tags) {
        records::set_tags(conn, scope, RECORD_TYPE, id, &contact.tags)?;
    }
    if previous.is_none_or(|p| p.external_ids != contact.external_ids) {
        records::set_external_ids(conn, scope, RECORD_TYPE, id, &contact.external_ids)?;
    }
    Ok(())
}

/// Whether the search index holds the same of both: names, e-mails, phones and owner.
pub(super) fn same_document(a: &Normalized, b: &Normalized) -> bool {
    let (f, g) = (&a.fields, &b.fields);
    (&f.first_name, &f.last_name, &f.email, &f.phones, &f.owner_id, &a.emails)
        == (&g.first_name, &g.last_name, &g.email, &g.phones, &g.owner_id, &b.emails)
}

/// The 409 for an e-mail another contact holds.
pub(super) fn duplicate(holder: &str, email: &str) -> ApiError {
    ApiError::conflict("duplicate_contact", format!("Contact {holder} already has the e-mail {email}."))
}

/// What the search index holds of a contact: the title a hit shows and the phone numbers.
pub(super) struct Indexed {
    title: String,
    phones: Vec<PhoneEntry>,
}

impl Indexed {
    pub(super) fn of(contact: &Normalized) -> ApiResult<Indexed> {
        let f = &contact.fields;
        let name =
            [f.first_name.as_deref(), f.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        let title = if name.is_empty() { f.email.clone().unwrap_or_default() } else { name };
        Ok(Indexed { title, phones: serde_json::from_str(&f.phones)? })
    }

    /// The contact's names, e-mails and phones as a search document.
    pub(super) fn document<'a>(
        &'a self,
        id: &'a str,
        contact: &'a Normalized,
        owner_id: Option<&'a str>,
    ) -> search_index::Document<'a> {
        let f = &contact.fields;
        let mut texts: Vec<&str> = [f.first_name.as_deref(), f.last_name.as_deref()].into_iter().flatten().collect();
        texts.extend(contact.emails.iter().map(String::as_str));
        search_index::Document {
            record_type: RECORD_TYPE,
            record_id: id,
            title: &self.title,
            subtitle: f.email.as_deref().or(f.phone.as_deref()),
            texts,
            phones: self.phones.iter().map(|p| p.number.as_str()).collect(),
            owner_id,
        }
    }
}

/// Contacts as the write runner takes them.
pub(crate) const CONTACTS: Versioned<ContactOut> = Versioned {
    table: "contacts",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: Some(load_locked),
    version: |c| c.version,
};

pub(crate) fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ContactOut> {
    let contact = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("contact"))?;
    out_of(conn, scope, contact)
}

fn load_locked(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ContactOut> {
    let sight = scope.sight(RECORD_TYPE, model::OWNER);
    let contact = CONTACTS.live_row(conn, scope, sight, id)?.ok_or_else(|| ApiError::not_found("contact"))?;
    out_of(conn, scope, contact)
}

/// A stored contact as the API shows it (reads the definitions when it has custom values).
fn out_of(conn: &mut DbConnection, scope: &Scope, contact: Contact) -> ApiResult<ContactOut> {
    let mut out = ContactOut::from(contact);
    out.custom = values::visible(conn, scope, RECORD_TYPE, out.custom)?;
    Ok(out)
}

/// A contact as the API shows it: values of archived custom fields hidden.
pub(super) fn shown(schema: &Schema, contact: Contact) -> ContactOut {
    let mut out = ContactOut::from(contact);
    out.custom = schema.visible(out.custom);
    out
}

pub(crate) fn create_in(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    contact: &Normalized,
) -> ApiResult<ContactOut> {
    plan_create(conn, keys, actor, contact)?.write(conn)
}

/// Creates a contact on the caller's connection: for other domains' use cases (a converted
/// lead), in their transaction.
pub fn create_from(conn: &mut DbConnection, keys: &Keys, actor: &Actor, input: ContactIn) -> ApiResult<ContactOut> {
    let region = region_for(conn, &actor.scope(), &input)?;
    let contact = normalize(input, &region)?;
    create_in(conn, keys, actor, &contact)
}

/// The live contact holding this (normalized) e-mail, whoever may see it.
pub fn holding_email(conn: &mut DbConnection, scope: &Scope, email: &str) -> ApiResult<Option<String>> {
    Ok(model::holder_of_emails(conn, &scope.unrestricted(), &[email.to_string()], None)?.map(|(id, _)| id))
}

/// A contact's creation, worked out by reads alone: its row, e-mails, search words, tags,
/// external ids and custom value index go with its audit row and event in one statement on
/// PostgreSQL; the record is what they store, not read back.
fn plan_create(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    contact: &Normalized,
) -> ApiResult<Planned<ContactOut>> {
    let (id, scope) = (crm_core::id::new_id(model::ID_PREFIX), actor.scope());
    let mut prepared = prepare(conn, keys, actor, &id, contact, Stored::New)?;
    let external_ids = records::external_id_rows(conn, &scope, RECORD_TYPE, &id, &contact.external_ids)?;
    let now = crm_core::time::now();
    let indexed = Indexed::of(contact)?;
    let mut writes = vec![model::insert(&scope, &id, &prepared.fields, now)];
    writes.extend(model::insert_emails(&scope, &id, &contact.emails));
    writes.extend(search_index::insert(&scope, &indexed.document(&id, contact, prepared.fields.owner_id.as_deref())));
    writes.extend(records::tag_rows(&scope, RECORD_TYPE, &id, &contact.tags));
    writes.extend(external_ids);
    writes.extend(prepared.custom_index.take());
    let created = prepared.record(&id, &scope, (now, now), 1, None);
    Ok(CONTACTS.plan_created(actor, &id, created, writes))
}

/// Updates a contact, through the write runner, to what `draft` makes of it as it now stands.
pub(crate) fn update_in(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    id: &str,
    if_match: Option<i64>,
    draft: impl FnOnce(&mut DbConnection, &ContactOut) -> ApiResult<Normalized>,
) -> ApiResult<ContactOut> {
    CONTACTS.update(conn, actor, id, if_match, "updated", |conn, before| {
        let contact = draft(conn, before)?;
        // An update that changes nothing writes nothing: no new version, no event (syncs repeat
        // themselves). Stored phones are in E.164, which reads the same in every region.
        let current = normalize(ContactIn::from(before.clone()), DEFAULT_REGION).ok();
        if current.as_ref() == Some(&contact) {
            return Ok(Edit::Unchanged);
        }
        let scope = actor.scope();
        let prepared = prepare(conn, keys, actor, id, &contact, Stored::Existing(current.as_ref()))?;
        write_related(conn, &scope, id, &contact, current.as_ref(), &prepared)?;
        let updated_at = crm_core::time::now();
        let after =
            prepared.record(id, &scope, (before.created_at, updated_at), before.version + 1, Some(&before.custom));
        Ok(Edit::Saved { after, row: prepared.columns(updated_at), writes: Vec::new() })
    })
}

/// The region national phone numbers of `input` are read in: the organization's, read only when
/// one of them is national (the usual `+…` numbers read the same everywhere).
fn region_for(conn: &mut DbConnection, scope: &Scope, input: &ContactIn) -> ApiResult<String> {
    if input.phones.iter().flatten().all(|p| p.number.trim_start().starts_with('+')) {
        return Ok(DEFAULT_REGION.to_string());
    }
    organizations::phone_region(conn, scope)
}

pub async fn create(state: &AppState, actor: &Actor, input: ContactIn) -> ApiResult<ContactOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write_planned(move |conn| {
            let region = region_for(conn, &actor.scope(), &input)?;
            let contact = normalize(input, &region)?;
            plan_create(conn, &keys, &actor, &contact)
        })
        .await
}

/// Creates the contact holding `source:external_id`, or updates it with the fields given.
/// Returns whether it was created.
pub async fn upsert_by_external_id(
    state: &AppState,
    actor: &Actor,
    source: String,
    external_id: String,
    mut input: ContactIn,
) -> ApiResult<(ContactOut, bool)> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    if !records::is_source(&source) {
        return Err(ApiError::not_found("external id source"));
    }
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            match records::find_by_external_id(conn, &actor.scope(), RECORD_TYPE, &source, &external_id)? {
                None => {
                    let region = region_for(conn, &actor.scope(), &input)?;
                    input.external_ids.get_or_insert_with(BTreeMap::new).insert(source, external_id);
                    create_in(conn, &keys, &actor, &normalize(input, &region)?).map(|c| (c, true))
                }
                Some(id) => update_in(conn, &keys, &actor, &id, None, |conn, before| {
                    let mut merged = ContactIn::from(before.clone());
                    overlay(&mut merged, input);
                    merged.external_ids.get_or_insert_with(BTreeMap::new).insert(source, external_id);
                    let region = region_for(conn, &actor.scope(), &merged)?;
                    normalize(merged, &region)
                })
                .map(|c| (c, false)),
            }
        })
        .await
}

/// Sets on `base` every field `input` gives.
pub(crate) fn overlay(base: &mut ContactIn, input: ContactIn) {
    macro_rules! take {
        ($($field:ident),*) => { $( if input.$field.is_some() { base.$field = input.$field; } )* };
    }
    take!(first_name, last_name, emails, phones, addresses, job_title, lifecycle_stage, lead_source, owner_id, tags);
    if let Some(ids) = input.external_ids {
        base.external_ids.get_or_insert_with(BTreeMap::new).extend(ids);
    }
    if let Some(custom) = input.custom {
        values::merge(base.custom.get_or_insert_with(Map::new), custom);
    }
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<ContactOut> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: ContactsQuery) -> ApiResult<Page<ContactOut>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let paging = query.paging();
    let filter = crm_core::filter::from_query(query.filter.as_deref())?;
    let filters = Filters {
        owner_id: query.owner_id,
        company_id: query.company_id,
        lifecycle_stage: query.lifecycle_stage.map(|s| s.as_str().to_string()),
        tag: query.tag.map(|t| t.trim().to_string()),
        email: query.email.map(|e| e.trim().to_lowercase()),
        created_after: query.created_after,
        created_before: query.created_before,
        updated_after: query.updated_after,
        updated_before: query.updated_before,
    };
    let request = SearchRequest::of_list(filter, paging);
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            model::LISTING.page(
                conn,
                &scope,
                &request,
                |conn, conditions, plan| model::list(conn, &scope, &filters, conditions, plan),
                shown,
            )
        })
        .await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: ContactPatch,
    if_match: Option<i64>,
) -> ApiResult<ContactOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            update_in(conn, &keys, &actor, &id, if_match, |conn, before| {
                let mut draft = ContactIn::from(before.clone());
                apply(&mut draft, patch)?;
                let region = region_for(conn, &actor.scope(), &draft)?;
                normalize(draft, &region)
            })
        })
        .await
}

/// Applies a merge patch to a draft: absent keeps, `null` clears, a value sets.
fn apply(draft: &mut ContactIn, patch: ContactPatch) -> ApiResult<()> {
    if patch.lifecycle_stage == Patch::Null {
        return Err(ApiError::invalid_field("/lifecycle_stage", "required", "a contact always has a lifecycle stage"));
    }
    patch.first_name.apply_to(&mut draft.first_name);
    patch.last_name.apply_to(&mut draft.last_name);
    patch.emails.apply_to(&mut draft.emails);
    patch.phones.apply_to(&mut draft.phones);
    patch.addresses.apply_to(&mut draft.addresses);
    patch.job_title.apply_to(&mut draft.job_title);
    patch.lifecycle_stage.apply_to(&mut draft.lifecycle_stage);
    patch.lead_source.apply_to(&mut draft.lead_source);
    patch.owner_id.apply_to(&mut draft.owner_id);
    patch.tags.apply_to(&mut draft.tags);
    patch.external_ids.apply_to(&mut draft.external_ids);
    values::apply_patch(&mut draft.custom, patch.custom);
    Ok(())
}

/// Moves a contact to the trash: it disappears from reads and frees its e-mails until restored.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state.db.write(move |conn| delete_in(conn, &actor, &id, if_match)).await
}

/// Moves a contact to the trash on the caller's connection (the delete endpoint, import reverts).
pub(crate) fn delete_in(conn: &mut DbConnection, actor: &Actor, id: &str, if_match: Option<i64>) -> ApiResult<()> {
    CONTACTS.delete(conn, actor, id, if_match, |conn, _| {
        CONTACTS.set_trashed(conn, &actor.scope(), id, true)?;
        model::set_emails(conn, &actor.scope(), id, &[])?;
        search_index::remove(conn, &actor.scope(), id)?;
        records::set_external_ids(conn, &actor.scope(), RECORD_TYPE, id, &BTreeMap::new())
    })?;
    Ok(())
}

/// Brings a contact back from the trash, unless another contact took its e-mail or external id meanwhile.
pub async fn restore(state: &AppState, actor: &Actor, id: String) -> ApiResult<ContactOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            CONTACTS.lock(conn, &actor.scope(), &id)?;
            let trashed = model::find_deleted(conn, &actor.scope(), &id)?
                .ok_or_else(|| ApiError::not_found("deleted contact"))?;
            if let Some(survivor) = crate::dedupe::model::merged_into(conn, &actor.scope(), &id)? {
                return Err(ApiError::conflict(
                    "merged",
                    format!("This contact was merged into {survivor}; a merge cannot be undone by a restore."),
                ));
            }
            let contact = normalize(ContactIn::from(ContactOut::from(trashed)), DEFAULT_REGION)?;
            // Trashed, it lost its e-mails, external ids and index row: everything is written,
            // and its row comes out of the trash with one version more.
            let scope = actor.scope();
            let prepared = prepare(conn, &keys, &actor, &id, &contact, Stored::Existing(None))?;
            write_related(conn, &scope, &id, &contact, None, &prepared)?;
            let mut row = prepared.columns(crm_core::time::now());
            row.push(("deleted_at", Piece::OptionalTime(None)));
            let row = CONTACTS.save(conn, &scope, &id, row)?;
            let after = out_of(conn, &scope, row)?;
            let a = serde_json::to_value(&after)?;
            change::record(
                conn,
                &actor,
                Change { resource: RECORD_TYPE, id: &id, action: "restored", before: None, after: Some(&a) },
            )?;
            Ok(after)
        })
        .await
}

/// Lists the records matching a filter in the filter language and/or free text.
pub async fn search(state: &AppState, actor: &Actor, request: SearchRequest) -> ApiResult<Page<ContactOut>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            model::LISTING.page(
                conn,
                &scope,
                &request,
                |conn, conditions, plan| model::list(conn, &scope, &Filters::default(), conditions, plan),
                shown,
            )
        })
        .await
}

/// The existing contact an input (a batch input, an import row) matches, if any: by the id it
/// names, its first e-mail or its external id of the rule's source.
pub(crate) fn find_match(
    conn: &mut DbConnection,
    scope: &Scope,
    rule: &MatchOn,
    id: Option<&str>,
    input: &ContactIn,
) -> ApiResult<Option<ContactOut>> {
    let id = match (rule, match_key(rule, id, input)) {
        (_, None) => None,
        (MatchOn::Id, key) => key,
        (MatchOn::Email, Some(email)) => model::holder_of_emails(conn, scope, &[email], None)?.map(|(id, _)| id),
        (MatchOn::ExternalId(source), Some(external_id)) => {
            records::find_by_external_id(conn, scope, RECORD_TYPE, source, &external_id)?
        }
    };
    match id {
        Some(id) => Ok(model::find(conn, scope, &id)?.map(ContactOut::from)),
        None => Ok(None),
    }
}

/// Creates, updates or upserts up to 1,000 contacts: each input rolls back alone when it
/// fails, or all of them together when `atomic`.
pub async fn batch(state: &AppState, actor: &Actor, request: BatchRequest) -> ApiResult<BatchResponse> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    crm_core::batch::check_size(request.inputs.len())?;
    let rule = MatchOn::of_request(request.match_on.as_deref(), request.mode)?;
    let (actor, keys) = (actor.clone(), state.keys.clone());
    let (mode, atomic) = (request.mode, request.atomic);
    let inputs: Vec<BulkInput> = request
        .inputs
        .into_iter()
        .map(|input| BulkInput {
            properties: validator::Validate::validate(&input.properties)
                .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))
                .map(|()| input.properties),
            id: input.id,
        })
        .collect();
    let outcomes = state
        .db
        .write(move |conn| {
            let region = organizations::phone_region(conn, &actor.scope())?;
            let write = BulkWrite { mode, rule: rule.as_ref(), region: &region, merge: overlay, atomic };
            let outcomes = write.run(conn, &keys, &actor, inputs)?;
            if atomic && let Some(failed) = crm_core::batch::atomic_failure(&outcomes) {
                return Err(failed);
            }
            Ok(outcomes)
        })
        .await?;
    let outcomes = outcomes
        .into_iter()
        .map(|outcome| {
            outcome.map(|written| match written {
                Written::Created(c) => Outcome::Created(c.id),
                Written::Updated(_, c) => Outcome::Updated(c.id),
                Written::Unchanged(c) => Outcome::Unchanged(c.id),
                Written::Unmatched => Outcome::Unmatched,
            })
        })
        .collect();
    Ok(crm_core::batch::response(outcomes, "contact"))
}
