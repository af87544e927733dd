//! Contact use cases: each one transaction, with its audit row and event.

use std::collections::{BTreeMap, HashMap, HashSet};

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
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};
use crm_core::{organizations, records, search_index};
use serde_json::{Map, Value};

use super::dto::{
    BatchMode, BatchRequest, BatchResponse, BatchResult, ContactIn, ContactOut, ContactPatch, ContactsQuery,
    EmailEntry, LifecycleStage, MatchOn, PhoneEntry,
};
use super::model::{self, Contact, ContactFields, Filters, RECORD_TYPE};
use crate::normalize::{DEFAULT_REGION, Email, Phone};
use crate::permissions;

/// A contact checked and in canonical form, ready to store.
#[derive(Clone, PartialEq)]
pub(crate) struct Normalized {
    fields: ContactFields,
    /// As given: checked against the custom field definitions when stored.
    custom: Map<String, Value>,
    emails: Vec<String>,
    tags: Vec<String>,
    external_ids: BTreeMap<String, String>,
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

/// Writes a normalized contact and everything that hangs off it.
fn store(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    id: &str,
    contact: &Normalized,
    stored: Stored<'_>,
) -> ApiResult<()> {
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
    let stored = if exists { Some(model::stored_custom(conn, &scope, id)?) } else { None };
    let custom = match (&stored, previous) {
        (Some(stored), Some(p)) if p.custom == contact.custom => stored.clone(),
        _ => values::store(conn, &scope, RECORD_TYPE, id, &contact.custom, stored.as_deref())?,
    };
    let fields = ContactFields { custom, owner_id, ..contact.fields.clone() };
    if exists {
        model::update(conn, &scope, id, &fields)?;
    } else {
        model::insert(conn, &scope, id, &fields)?;
    }
    // A new record has nothing to replace: its empty sets are not written at all.
    if emails_changed && (exists || !contact.emails.is_empty()) {
        model::set_emails(conn, &scope, id, &contact.emails)?;
    }
    if !previous.is_some_and(|p| same_document(p, contact)) {
        index(conn, &scope, id, contact, fields.owner_id.as_deref(), exists)?;
    }
    if previous.is_none_or(|p| p.tags != contact.tags) && (exists || !contact.tags.is_empty()) {
        records::set_tags(conn, &scope, RECORD_TYPE, id, &contact.tags)?;
    }
    if previous.is_none_or(|p| p.external_ids != contact.external_ids) && (exists || !contact.external_ids.is_empty()) {
        records::set_external_ids(conn, &scope, RECORD_TYPE, id, &contact.external_ids)?;
    }
    Ok(())
}

/// Whether the search index holds the same of both: names, e-mails, phones and owner.
fn same_document(a: &Normalized, b: &Normalized) -> bool {
    let (f, g) = (&a.fields, &b.fields);
    (&f.first_name, &f.last_name, &f.email, &f.phones, &f.owner_id, &a.emails)
        == (&g.first_name, &g.last_name, &g.email, &g.phones, &g.owner_id, &b.emails)
}

/// The 409 for an e-mail another contact holds.
fn duplicate(holder: &str, email: &str) -> ApiError {
    ApiError::conflict("duplicate_contact", format!("Contact {holder} already has the e-mail {email}."))
}

/// What the search index holds of a contact: the title a hit shows and the phone numbers.
struct Indexed {
    title: String,
    phones: Vec<PhoneEntry>,
}

impl Indexed {
    fn of(contact: &Normalized) -> ApiResult<Indexed> {
        let f = &contact.fields;
        let name =
            [f.first_name.as_deref(), f.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        let title = if name.is_empty() { f.email.clone().unwrap_or_default() } else { name };
        Ok(Indexed { title, phones: serde_json::from_str(&f.phones)? })
    }

    /// The contact's names, e-mails and phones as a search document.
    fn document<'a>(
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

/// Puts the contact's names, e-mails and phones in the search index (in place of what the
/// index held of it when it `exists`).
fn index(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    contact: &Normalized,
    owner_id: Option<&str>,
    exists: bool,
) -> ApiResult<()> {
    let indexed = Indexed::of(contact)?;
    let put = if exists { search_index::put } else { search_index::add };
    put(conn, scope, &indexed.document(id, contact, owner_id))
}

/// Contacts as the write runner takes them.
pub(crate) const CONTACTS: Versioned<ContactOut> =
    Versioned { table: "contacts", org_column: "org_id", resource: RECORD_TYPE, load, version: |c| c.version };

pub(crate) fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ContactOut> {
    let contact = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("contact"))?;
    let mut out = ContactOut::from(contact);
    out.custom = values::visible(conn, scope, RECORD_TYPE, out.custom)?;
    Ok(out)
}

/// A contact as the API shows it: values of archived custom fields hidden.
fn shown(schema: &Schema, contact: Contact) -> ContactOut {
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
    let id = crm_core::id::new_id(model::ID_PREFIX);
    store(conn, keys, actor, &id, contact, Stored::New)?;
    CONTACTS.created(conn, actor, &id)
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
        store(conn, keys, actor, id, &contact, Stored::Existing(current.as_ref()))?;
        Ok(Edit::Changed)
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
        .write(move |conn| {
            let region = region_for(conn, &actor.scope(), &input)?;
            let contact = normalize(input, &region)?;
            create_in(conn, &keys, &actor, &contact)
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
            let since = crm_core::time::now();
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
            CONTACTS.set_trashed(conn, &actor.scope(), &id, false)?;
            // Trashed, it lost its e-mails, external ids and index row: everything is written.
            store(conn, &keys, &actor, &id, &contact, Stored::Existing(None))?;
            CONTACTS.bump(conn, &actor.scope(), &id, since)?;
            let after = load(conn, &actor.scope(), &id)?;
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

fn match_on(request: &BatchRequest) -> ApiResult<Option<MatchOn>> {
    let parsed = match request.match_on.as_deref() {
        None => None,
        Some(raw) => Some(MatchOn::parse(raw).ok_or_else(|| {
            ApiError::invalid_field("/match_on", "invalid_match", "email, id, or external_id:<source>")
        })?),
    };
    if parsed.is_none() && request.mode != BatchMode::Create {
        return Err(ApiError::invalid_field("/match_on", "required", "updates and upserts need match_on"));
    }
    Ok(parsed)
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
    let id = match rule {
        MatchOn::Id => id.map(str::to_string),
        MatchOn::Email => match match_key(rule, id, input) {
            Some(email) => model::holder_of_emails(conn, scope, &[email], None)?.map(|(id, _)| id),
            None => None,
        },
        MatchOn::ExternalId(source) => match input.external_ids.as_ref().and_then(|ids| ids.get(source)) {
            Some(external_id) => records::find_by_external_id(conn, scope, RECORD_TYPE, source, external_id)?,
            None => None,
        },
    };
    match id {
        Some(id) => Ok(model::find(conn, scope, &id)?.map(ContactOut::from)),
        None => Ok(None),
    }
}

/// What an input is matched by under `rule`: its id, its first e-mail (normalized) or its
/// external id of the rule's source.
fn match_key(rule: &MatchOn, id: Option<&str>, input: &ContactIn) -> Option<String> {
    match rule {
        MatchOn::Id => id.map(str::to_string),
        MatchOn::Email => {
            let first = input.emails.as_ref().and_then(|e| e.first())?;
            Email::parse(&first.address).ok().map(Email::into_string)
        }
        MatchOn::ExternalId(source) => input.external_ids.as_ref()?.get(source).cloned(),
    }
}

/// The keys under `rule` by which later inputs would match this contact.
fn keys_of(rule: &MatchOn, contact: &ContactOut) -> Vec<String> {
    match rule {
        MatchOn::Id => vec![contact.id.clone()],
        MatchOn::Email => contact.emails.iter().map(|e| e.address.clone()).collect(),
        MatchOn::ExternalId(source) => contact.external_ids.get(source).cloned().into_iter().collect(),
    }
}

/// Which of `keys` some live contact holds under `rule`, and which contact (of any owner: a
/// match out of the caller's sight is settled one input at a time, as a single write would).
fn holders(
    conn: &mut DbConnection,
    scope: &Scope,
    rule: &MatchOn,
    keys: &[&str],
) -> ApiResult<HashMap<String, String>> {
    let unrestricted = scope.unrestricted();
    Ok(match rule {
        MatchOn::Id => model::find_many(conn, &unrestricted, keys)?.into_iter().map(|c| (c.id.clone(), c.id)).collect(),
        MatchOn::Email => model::holders_of_emails(conn, scope, keys)?,
        MatchOn::ExternalId(source) => records::holders_of_external_ids(conn, scope, RECORD_TYPE, source, keys)?,
    })
}

/// Creates many contacts at once: each checked as a single create checks it (its owner,
/// erased and taken e-mails, custom fields, external ids, and against the contacts before it
/// here), then those that pass written a statement per table, with their audit rows and
/// events. One result per contact, in order; an error of the database fails the whole call.
pub(crate) fn create_many(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    contacts: &[&Normalized],
) -> ApiResult<Vec<ApiResult<ContactOut>>> {
    let scope = actor.scope();
    let schema = Schema::load(conn, &scope, RECORD_TYPE)?;
    let region = schema.phone_region(conn, &scope)?;
    let default_owner = match contacts.iter().any(|c| c.fields.owner_id.is_none()) {
        true => scope.default_owner(conn, RECORD_TYPE)?,
        false => None,
    };
    let emails: Vec<&str> = contacts.iter().flat_map(|c| c.emails.iter().map(String::as_str)).collect();
    let erased: HashSet<String> =
        crate::privacy::model::erased_among(conn, keys, &scope, &emails)?.into_iter().collect();
    let mut email_holders = model::holders_of_emails(conn, &scope, &emails)?;
    let mut id_holders: HashMap<(String, String), String> = HashMap::new();
    let sources: HashSet<&String> = contacts.iter().flat_map(|c| c.external_ids.keys()).collect();
    for source in sources {
        let wanted: Vec<&str> =
            contacts.iter().filter_map(|c| c.external_ids.get(source)).map(String::as_str).collect();
        let held = records::holders_of_external_ids(conn, &scope, RECORD_TYPE, source, &wanted)?;
        id_holders.extend(held.into_iter().map(|(external_id, holder)| ((source.clone(), external_id), holder)));
    }
    let mut owners: HashMap<String, bool> = HashMap::new();
    let mut accepted: Vec<(String, &Normalized, ContactFields)> = Vec::new();
    let mut results: Vec<ApiResult<String>> = Vec::with_capacity(contacts.len());
    for &contact in contacts {
        let id = crm_core::id::new_id(model::ID_PREFIX);
        let mut check = || -> ApiResult<ContactFields> {
            let owner_id = contact.fields.owner_id.clone().or_else(|| default_owner.clone());
            if let Some(owner) = &owner_id {
                let active = match owners.get(owner) {
                    Some(active) => *active,
                    None => {
                        let active = crm_core::users::model::check_owner(conn, &scope, owner).is_ok();
                        *owners.entry(owner.clone()).or_insert(active)
                    }
                };
                if !active {
                    return Err(crm_core::users::model::unknown_owner());
                }
            }
            if let Some(email) = contact.emails.iter().find(|e| erased.contains(*e)) {
                return Err(crate::privacy::service::erased(email));
            }
            if let Some((email, holder)) =
                contact.emails.iter().find_map(|e| email_holders.get(e).map(|holder| (e, holder)))
            {
                return Err(duplicate(holder, email));
            }
            let custom = schema.check(&contact.custom, None, "/custom", &region).map_err(ApiError::validation)?;
            for (source, external_id) in &contact.external_ids {
                if let Some(holder) = id_holders.get(&(source.clone(), external_id.clone())) {
                    return Err(records::external_id_taken(RECORD_TYPE, holder, source, external_id));
                }
            }
            Ok(ContactFields { custom: serde_json::to_string(&custom)?, owner_id, ..contact.fields.clone() })
        };
        match check() {
            Ok(fields) => {
                email_holders.extend(contact.emails.iter().map(|e| (e.clone(), id.clone())));
                id_holders.extend(contact.external_ids.iter().map(|(s, e)| ((s.clone(), e.clone()), id.clone())));
                accepted.push((id.clone(), contact, fields));
                results.push(Ok(id));
            }
            Err(error) => results.push(Err(error)),
        }
    }
    model::insert_many(conn, &scope, accepted.iter().map(|(id, _, fields)| (id.as_str(), fields.clone())).collect())?;
    // Defaults the definitions give count as values too: what was checked decides.
    for (id, contact, _) in accepted.iter().filter(|(_, _, fields)| fields.custom != "{}") {
        values::store_with(conn, &scope, &schema, &region, RECORD_TYPE, id, &contact.custom, None)?;
    }
    let emails: Vec<(&str, &str)> =
        accepted.iter().flat_map(|(id, c, _)| c.emails.iter().map(move |e| (id.as_str(), e.as_str()))).collect();
    model::add_emails_many(conn, &scope, &emails)?;
    let indexed = accepted.iter().map(|(_, c, _)| Indexed::of(c)).collect::<ApiResult<Vec<_>>>()?;
    let documents: Vec<_> = accepted
        .iter()
        .zip(&indexed)
        .map(|((id, c, fields), indexed)| indexed.document(id, c, fields.owner_id.as_deref()))
        .collect();
    search_index::add_many(conn, &scope, &documents)?;
    let sets: Vec<_> = accepted.iter().map(|(id, c, _)| (id.as_str(), c.tags.as_slice(), &c.external_ids)).collect();
    records::add_many(conn, &scope, RECORD_TYPE, &sets)?;
    // Read back as a single create reads its contact: as its creator sees it, whoever owns it.
    let ids: Vec<&str> = accepted.iter().map(|(id, _, _)| id.as_str()).collect();
    let mut created: HashMap<String, ContactOut> = model::find_many(conn, &scope.unrestricted(), &ids)?
        .into_iter()
        .map(|c| (c.id.clone(), shown(&schema, c)))
        .collect();
    let afters =
        ids.iter().map(|id| created.get(*id).map(serde_json::to_value).transpose()).collect::<Result<Vec<_>, _>>()?;
    let changes: Vec<Change<'_>> = ids
        .iter()
        .zip(&afters)
        .map(|(id, after)| Change { resource: RECORD_TYPE, id, action: "created", before: None, after: after.as_ref() })
        .collect();
    change::record_many(conn, actor, &changes)?;
    Ok(results
        .into_iter()
        .map(|r| r.and_then(|id| created.remove(&id).ok_or_else(|| ApiError::not_found("contact"))))
        .collect())
}

/// One input of a bulk write (a batch input, an import row): the id it names and its
/// properties, or why its caller refused it.
pub(crate) struct BulkInput {
    pub id: Option<String>,
    pub properties: ApiResult<ContactIn>,
}

/// What a bulk write did with one input.
pub(crate) enum Written {
    Created(ContactOut),
    /// The contact as it was, and as it is.
    Updated(Box<ContactOut>, ContactOut),
    Unchanged(ContactOut),
    /// An update that matched no contact.
    Unmatched,
}

/// A bulk write: inputs applied in order, each as a single create, update or upsert would
/// apply it and rolling back alone when it fails, but runs of inputs that can only create are
/// created together ([`create_many`]).
pub(crate) struct BulkWrite<'a> {
    pub mode: BatchMode,
    pub rule: Option<&'a MatchOn>,
    /// The region national phone numbers are read in.
    pub region: &'a str,
    /// How an input's properties apply to the contact it matched.
    pub merge: fn(&mut ContactIn, ContactIn),
    /// Stop at the first failing input (the caller rolls everything back).
    pub atomic: bool,
}

/// The run of inputs waiting to be written together: creates, or updates; and the keys its
/// inputs may give their contacts, with the contact they go to (none for a new contact, or
/// when inputs for different contacts claim the same key).
#[derive(Default)]
struct Pending {
    creates: Vec<(usize, Normalized)>,
    updates: Vec<Matched>,
    keys: HashMap<String, Option<String>>,
}

impl Pending {
    fn claim(&mut self, keys: Vec<String>, contact: Option<&String>) {
        for key in keys {
            let claim = self.keys.entry(key).or_insert_with(|| contact.cloned());
            if claim.as_ref() != contact {
                *claim = None;
            }
        }
    }
}

/// An input matched to a contact, waiting in a run of updates.
struct Matched {
    index: usize,
    /// The id the input named, and the contact its key matched.
    input_id: Option<String>,
    contact_id: String,
    properties: ContactIn,
}

/// An update checked and ready to write.
struct Draft {
    index: usize,
    before: ContactOut,
    previous: Option<Normalized>,
    contact: Normalized,
    stored_custom: String,
}

impl BulkWrite<'_> {
    /// One result per input, in order (with `atomic`, up to the first failure, which the
    /// caller reports and rolls everything back for).
    pub(crate) fn run(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        actor: &Actor,
        inputs: Vec<BulkInput>,
    ) -> ApiResult<Vec<ApiResult<Written>>> {
        let scope = actor.scope();
        let rule = self.rule.filter(|_| self.mode != BatchMode::Create);
        let match_keys: Vec<Option<String>> = inputs
            .iter()
            .map(|i| match (rule, &i.properties) {
                (Some(rule), Ok(p)) => match_key(rule, i.id.as_deref(), p),
                _ => None,
            })
            .collect();
        // Who holds each key: looked up once, then learnt from each write (an input whose key
        // no one holds is settled without a query of its own).
        let mut holders = match rule {
            Some(rule) => {
                let wanted: Vec<&str> = match_keys.iter().flatten().map(String::as_str).collect();
                holders(conn, &scope, rule, &wanted)?
            }
            None => HashMap::new(),
        };
        let mut pending = Pending::default();
        let mut results: Vec<Option<ApiResult<Written>>> = inputs.iter().map(|_| None).collect();
        let failed = |results: &[Option<ApiResult<Written>>]| results.iter().flatten().any(Result::is_err);
        for ((index, input), key) in inputs.into_iter().enumerate().zip(match_keys) {
            let properties = match input.properties {
                Ok(properties) => properties,
                Err(error) => {
                    results[index] = Some(Err(error));
                    if self.atomic {
                        // The run before it first: an earlier input may fail there.
                        self.flush(conn, keys, actor, &mut pending, &mut holders, &mut results)?;
                        break;
                    }
                    continue;
                }
            };
            // A key the pending run claims is known only when claimed for the contact holding it
            // (an import's lines of one customer): that contact keeps it through the run.
            let known = key.as_ref().filter(|k| {
                pending.keys.get(*k).is_none_or(|claim| claim.is_some() && claim.as_ref() == holders.get(*k))
            });
            let holder = known.and_then(|k| holders.get(k)).cloned();
            let unmatched = rule.is_none() || key.is_none() || (known.is_some() && holder.is_none());
            if unmatched && self.mode == BatchMode::Update {
                results[index] = Some(Ok(Written::Unmatched));
                continue;
            }
            if unmatched {
                if !pending.updates.is_empty() {
                    self.flush(conn, keys, actor, &mut pending, &mut holders, &mut results)?;
                    if self.atomic && failed(&results) {
                        break;
                    }
                }
                match normalize(properties, self.region) {
                    Ok(contact) => {
                        if let Some(rule) = rule {
                            pending.claim(normalized_keys(rule, &contact), None);
                        }
                        pending.creates.push((index, contact));
                    }
                    Err(error) => {
                        results[index] = Some(Err(error));
                        if self.atomic {
                            self.flush(conn, keys, actor, &mut pending, &mut holders, &mut results)?;
                            break;
                        }
                    }
                }
                continue;
            }
            if let (Some(rule), Some(holder)) = (rule, holder) {
                if !pending.creates.is_empty() {
                    self.flush(conn, keys, actor, &mut pending, &mut holders, &mut results)?;
                    if self.atomic && failed(&results) {
                        break;
                    }
                }
                pending.claim(input_keys(rule, &properties), Some(&holder));
                pending.updates.push(Matched { index, input_id: input.id, contact_id: holder, properties });
                continue;
            }
            // Its match may have moved in this write: settled alone, after the run before it.
            self.flush(conn, keys, actor, &mut pending, &mut holders, &mut results)?;
            if self.atomic && failed(&results) {
                break;
            }
            let outcome = diesel::Connection::transaction(conn, |c| {
                self.apply_one(c, keys, actor, input.id.as_deref(), properties)
            });
            if let (Some(rule), Ok(written)) = (rule, &outcome) {
                learn(&mut holders, rule, written);
            }
            let failed = outcome.is_err();
            results[index] = Some(outcome);
            if failed && self.atomic {
                break;
            }
        }
        self.flush(conn, keys, actor, &mut pending, &mut holders, &mut results)?;
        // Every input has its result, or (atomic) every input up to the first that failed.
        let mut ordered = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Some(result) => ordered.push(result),
                None => break,
            }
        }
        Ok(ordered)
    }

    /// Writes the pending run together, or one input at a time when the database refuses the
    /// whole run (another writer took one of its e-mails meanwhile).
    fn flush(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        actor: &Actor,
        pending: &mut Pending,
        holders: &mut HashMap<String, String>,
        results: &mut [Option<ApiResult<Written>>],
    ) -> ApiResult<()> {
        let Pending { creates, updates, .. } = std::mem::take(pending);
        let mut outcomes: Vec<(usize, ApiResult<Written>)> = Vec::new();
        let alone = |conn: &mut DbConnection, contact: &Normalized| {
            diesel::Connection::transaction(conn, |c| create_in(c, keys, actor, contact)).map(Written::Created)
        };
        match creates.as_slice() {
            [] => {}
            // A run of one costs fewer statements written alone (the single write's are cached).
            [(index, contact)] => outcomes.push((*index, alone(conn, contact))),
            _ => {
                let contacts: Vec<&Normalized> = creates.iter().map(|(_, c)| c).collect();
                match diesel::Connection::transaction(conn, |c| create_many(c, keys, actor, &contacts)) {
                    Ok(created) => outcomes.extend(
                        creates
                            .iter()
                            .zip(created)
                            .map(|((index, _), outcome)| (*index, outcome.map(Written::Created))),
                    ),
                    Err(error) if error.status.is_server_error() => return Err(error),
                    Err(_) => outcomes.extend(creates.iter().map(|(index, contact)| (*index, alone(conn, contact)))),
                }
            }
        }
        let alone = |conn: &mut DbConnection, m: &Matched| {
            let input_id = m.input_id.as_deref();
            diesel::Connection::transaction(conn, |c| self.apply_one(c, keys, actor, input_id, m.properties.clone()))
        };
        match updates.as_slice() {
            [] => {}
            [single] => outcomes.push((single.index, alone(conn, single))),
            _ => match diesel::Connection::transaction(conn, |c| self.update_many(c, keys, actor, &updates)) {
                Ok(updated) => outcomes.extend(updated),
                Err(error) if error.status.is_server_error() => return Err(error),
                Err(_) => outcomes.extend(updates.iter().map(|m| (m.index, alone(conn, m)))),
            },
        }
        for (index, outcome) in outcomes {
            if let (Some(rule), Ok(written)) = (self.rule, &outcome) {
                learn(holders, rule, written);
            }
            results[index] = Some(outcome);
        }
        Ok(())
    }

    /// Updates a run of matched contacts together, each input as [`update_in`] would apply it:
    /// locked, merged and checked one by one, against the database and the updates before it
    /// here; then written a statement per table, with their audit rows and events. Inputs that
    /// change nothing are settled in memory, even repeated; a match out of the caller's sight,
    /// and a second change to one contact, are settled alone afterwards, as single writes.
    fn update_many(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        actor: &Actor,
        updates: &[Matched],
    ) -> ApiResult<Vec<(usize, ApiResult<Written>)>> {
        let scope = actor.scope();
        let schema = Schema::load(conn, &scope, RECORD_TYPE)?;
        let custom_region = schema.phone_region(conn, &scope)?;
        let ids: Vec<&str> = updates.iter().map(|m| m.contact_id.as_str()).collect();
        let mut rows: HashMap<String, Contact> =
            model::lock_many(conn, &scope, &ids)?.into_iter().map(|c| (c.id.clone(), c)).collect();
        let mut results = Vec::with_capacity(updates.len());
        let mut drafts = Vec::new();
        // Each contact as it stands, in the form it is compared in. The run is written up to the
        // first input it cannot settle here (a match out of sight, a second change to a
        // contact); that input and the rest are settled alone after it, in order.
        let mut current: HashMap<&str, (ContactOut, Option<Normalized>, String)> = HashMap::new();
        let mut later: &[Matched] = &[];
        for (position, m) in updates.iter().enumerate() {
            let id = m.contact_id.as_str();
            if !current.contains_key(id)
                && let Some(row) = rows.remove(id)
            {
                let stored_custom = row.custom.clone();
                let before = shown(&schema, row);
                // Stored phones are in E.164, which reads the same in every region.
                let previous = normalize(ContactIn::from(before.clone()), DEFAULT_REGION).ok();
                current.insert(id, (before, previous, stored_custom));
            }
            let settled_here = current.get(id).filter(|_| !drafts.iter().any(|d: &Draft| d.before.id == id));
            let Some((before, previous, stored_custom)) = settled_here else {
                later = &updates[position..];
                break;
            };
            let mut draft = ContactIn::from(before.clone());
            (self.merge)(&mut draft, m.properties.clone());
            match normalize(draft, self.region) {
                Err(error) => results.push((m.index, Err(error))),
                Ok(contact) if previous.as_ref() == Some(&contact) => {
                    results.push((m.index, Ok(Written::Unchanged(before.clone()))));
                }
                Ok(contact) => drafts.push(Draft {
                    index: m.index,
                    before: before.clone(),
                    previous: previous.clone(),
                    contact,
                    stored_custom: stored_custom.clone(),
                }),
            }
        }
        let emails_changed = |d: &Draft| d.previous.as_ref().is_none_or(|p| p.emails != d.contact.emails);
        let ids_changed = |d: &Draft| d.previous.as_ref().is_none_or(|p| p.external_ids != d.contact.external_ids);
        let new_emails: Vec<&str> = drafts
            .iter()
            .filter(|d| emails_changed(d))
            .flat_map(|d| d.contact.emails.iter().map(String::as_str))
            .collect();
        let erased: HashSet<String> =
            crate::privacy::model::erased_among(conn, keys, &scope, &new_emails)?.into_iter().collect();
        let mut email_holders = model::holders_of_emails(conn, &scope, &new_emails)?;
        let mut id_holders: HashMap<(String, String), String> = HashMap::new();
        let sources: HashSet<&String> =
            drafts.iter().filter(|d| ids_changed(d)).flat_map(|d| d.contact.external_ids.keys()).collect();
        for source in sources {
            let wanted: Vec<&str> =
                drafts.iter().filter_map(|d| d.contact.external_ids.get(source)).map(String::as_str).collect();
            let held = records::holders_of_external_ids(conn, &scope, RECORD_TYPE, source, &wanted)?;
            id_holders.extend(held.into_iter().map(|(external_id, holder)| ((source.clone(), external_id), holder)));
        }
        let mut owners: HashMap<String, bool> = HashMap::new();
        let mut accepted: Vec<(Draft, ContactFields)> = Vec::new();
        for draft in drafts {
            let (id, contact) = (draft.before.id.clone(), &draft.contact);
            let mut check = || -> ApiResult<ContactFields> {
                let owner_id = contact.fields.owner_id.clone();
                if let Some(owner) = &owner_id
                    && draft.previous.as_ref().is_none_or(|p| p.fields.owner_id != owner_id)
                {
                    let active = match owners.get(owner) {
                        Some(active) => *active,
                        None => {
                            let active = crm_core::users::model::check_owner(conn, &scope, owner).is_ok();
                            *owners.entry(owner.clone()).or_insert(active)
                        }
                    };
                    if !active {
                        return Err(crm_core::users::model::unknown_owner());
                    }
                }
                if emails_changed(&draft) {
                    if let Some(email) = contact.emails.iter().find(|e| erased.contains(*e)) {
                        return Err(crate::privacy::service::erased(email));
                    }
                    let held =
                        contact.emails.iter().find_map(|e| email_holders.get(e).filter(|h| **h != id).map(|h| (e, h)));
                    if let Some((email, holder)) = held {
                        return Err(duplicate(holder, email));
                    }
                }
                let custom = match draft.previous.as_ref().is_some_and(|p| p.custom == contact.custom) {
                    true => draft.stored_custom.clone(),
                    false => {
                        let stored = values::parse_stored(&draft.stored_custom);
                        let checked = schema.check(&contact.custom, Some(&stored), "/custom", &custom_region);
                        serde_json::to_string(&checked.map_err(ApiError::validation)?)?
                    }
                };
                if ids_changed(&draft) {
                    for (source, external_id) in &contact.external_ids {
                        if let Some(holder) =
                            id_holders.get(&(source.clone(), external_id.clone())).filter(|h| **h != id)
                        {
                            return Err(records::external_id_taken(RECORD_TYPE, holder, source, external_id));
                        }
                    }
                }
                Ok(ContactFields { custom, owner_id, ..contact.fields.clone() })
            };
            match check() {
                Err(error) => results.push((draft.index, Err(error))),
                Ok(fields) => {
                    if emails_changed(&draft) {
                        let previous = draft.previous.as_ref().map(|p| p.emails.as_slice()).unwrap_or_default();
                        for email in previous {
                            email_holders.remove(email);
                        }
                        email_holders.extend(contact.emails.iter().map(|e| (e.clone(), id.clone())));
                    }
                    if ids_changed(&draft) {
                        if let Some(p) = &draft.previous {
                            for (source, external_id) in &p.external_ids {
                                id_holders.remove(&(source.clone(), external_id.clone()));
                            }
                        }
                        id_holders
                            .extend(contact.external_ids.iter().map(|(s, e)| ((s.clone(), e.clone()), id.clone())));
                    }
                    accepted.push((draft, fields));
                }
            }
        }
        let rows: Vec<(&str, &ContactFields)> = accepted.iter().map(|(d, f)| (d.before.id.as_str(), f)).collect();
        model::update_many(conn, &scope, &rows)?;
        for (draft, fields) in &accepted {
            if fields.custom != draft.stored_custom {
                let stored = Some(draft.stored_custom.as_str());
                values::store_with(
                    conn,
                    &scope,
                    &schema,
                    &custom_region,
                    RECORD_TYPE,
                    &draft.before.id,
                    &draft.contact.custom,
                    stored,
                )?;
            }
        }
        let ids_where = |changed: &dyn Fn(&Draft) -> bool| -> Vec<&str> {
            accepted.iter().filter(|(d, _)| changed(d)).map(|(d, _)| d.before.id.as_str()).collect()
        };
        let with_emails = ids_where(&emails_changed);
        model::clear_emails_many(conn, &scope, &with_emails)?;
        let emails: Vec<(&str, &str)> = accepted
            .iter()
            .filter(|(d, _)| emails_changed(d))
            .flat_map(|(d, _)| d.contact.emails.iter().map(move |e| (d.before.id.as_str(), e.as_str())))
            .collect();
        model::add_emails_many(conn, &scope, &emails)?;
        let reindexed: Vec<&(Draft, ContactFields)> = accepted
            .iter()
            .filter(|(d, _)| !d.previous.as_ref().is_some_and(|p| same_document(p, &d.contact)))
            .collect();
        let indexed = reindexed.iter().map(|(d, _)| Indexed::of(&d.contact)).collect::<ApiResult<Vec<_>>>()?;
        let documents: Vec<_> = reindexed
            .iter()
            .zip(&indexed)
            .map(|((d, f), indexed)| indexed.document(&d.before.id, &d.contact, f.owner_id.as_deref()))
            .collect();
        let reindexed_ids: Vec<&str> = reindexed.iter().map(|(d, _)| d.before.id.as_str()).collect();
        search_index::remove_many(conn, &scope, &reindexed_ids)?;
        search_index::add_many(conn, &scope, &documents)?;
        let tags_changed = |d: &Draft| d.previous.as_ref().is_none_or(|p| p.tags != d.contact.tags);
        records::clear_many(conn, &scope, RECORD_TYPE, &ids_where(&tags_changed), &ids_where(&ids_changed))?;
        let no_ids = BTreeMap::new();
        let sets: Vec<_> = accepted
            .iter()
            .map(|(d, _)| {
                let tags: &[String] = if tags_changed(d) { &d.contact.tags } else { &[] };
                (d.before.id.as_str(), tags, if ids_changed(d) { &d.contact.external_ids } else { &no_ids })
            })
            .collect();
        records::add_many(conn, &scope, RECORD_TYPE, &sets)?;
        let written: Vec<&str> = accepted.iter().map(|(d, _)| d.before.id.as_str()).collect();
        let mut after: HashMap<String, ContactOut> = model::find_many(conn, &scope.unrestricted(), &written)?
            .into_iter()
            .map(|c| (c.id.clone(), shown(&schema, c)))
            .collect();
        let pairs = accepted
            .iter()
            .map(|(d, _)| {
                let a = after.get(&d.before.id).map(serde_json::to_value).transpose()?;
                Ok((serde_json::to_value(&d.before)?, a))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let changes: Vec<Change<'_>> = accepted
            .iter()
            .zip(&pairs)
            .map(|((d, _), (b, a))| Change {
                resource: RECORD_TYPE,
                id: &d.before.id,
                action: "updated",
                before: Some(b),
                after: a.as_ref(),
            })
            .collect();
        change::record_many(conn, actor, &changes)?;
        for (draft, _) in accepted {
            let outcome = after.remove(&draft.before.id).ok_or_else(|| ApiError::not_found("contact"));
            results.push((draft.index, outcome.map(|a| Written::Updated(Box::new(draft.before), a))));
        }
        for m in later {
            let outcome = diesel::Connection::transaction(conn, |c| {
                self.apply_one(c, keys, actor, m.input_id.as_deref(), m.properties.clone())
            });
            results.push((m.index, outcome));
        }
        Ok(results)
    }

    /// Applies one input as a single write would: matched, then created or updated.
    pub(crate) fn apply_one(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        actor: &Actor,
        id: Option<&str>,
        properties: ContactIn,
    ) -> ApiResult<Written> {
        let existing = match self.rule {
            Some(rule) if self.mode != BatchMode::Create => find_match(conn, &actor.scope(), rule, id, &properties)?,
            _ => None,
        };
        match (self.mode, existing) {
            (BatchMode::Update, None) => Ok(Written::Unmatched),
            (BatchMode::Create, _) | (BatchMode::Upsert, None) => {
                create_in(conn, keys, actor, &normalize(properties, self.region)?).map(Written::Created)
            }
            (_, Some(before)) => {
                let after = update_in(conn, keys, actor, &before.id, None, |_, current| {
                    let mut merged = ContactIn::from(current.clone());
                    (self.merge)(&mut merged, properties);
                    normalize(merged, self.region)
                })?;
                Ok(if after.version == before.version {
                    Written::Unchanged(after)
                } else {
                    Written::Updated(Box::new(before), after)
                })
            }
        }
    }
}

/// The keys under `rule` an input's properties may give the contact it is written to.
fn input_keys(rule: &MatchOn, properties: &ContactIn) -> Vec<String> {
    match rule {
        MatchOn::Id => Vec::new(),
        MatchOn::Email => properties
            .emails
            .iter()
            .flatten()
            .filter_map(|e| Email::parse(&e.address).ok().map(Email::into_string))
            .collect(),
        MatchOn::ExternalId(source) => {
            properties.external_ids.as_ref().and_then(|ids| ids.get(source)).cloned().into_iter().collect()
        }
    }
}

/// What a write tells of who holds which key: the keys its contact had are its no more, the
/// keys it has are.
fn learn(holders: &mut HashMap<String, String>, rule: &MatchOn, written: &Written) {
    let (before, after) = match written {
        Written::Created(c) | Written::Unchanged(c) => (None, c),
        Written::Updated(before, after) => (Some(before.as_ref()), after),
        Written::Unmatched => return,
    };
    for key in before.map(|b| keys_of(rule, b)).unwrap_or_default() {
        if holders.get(&key) == Some(&after.id) {
            holders.remove(&key);
        }
    }
    for key in keys_of(rule, after) {
        holders.insert(key, after.id.clone());
    }
}

/// The keys under `rule` a new contact will hold.
fn normalized_keys(rule: &MatchOn, contact: &Normalized) -> Vec<String> {
    match rule {
        MatchOn::Id => Vec::new(),
        MatchOn::Email => contact.emails.clone(),
        MatchOn::ExternalId(source) => contact.external_ids.get(source).cloned().into_iter().collect(),
    }
}

/// A problem whose field pointers are moved under the input they belong to.
fn item_problem(index: usize, error: &ApiError) -> crm_core::error::Problem {
    let mut problem = error.problem();
    for field in &mut problem.errors {
        field.pointer = format!("/inputs/{index}/properties{}", field.pointer);
    }
    problem
}

/// Creates, updates or upserts up to 1,000 contacts: each input rolls back alone when it
/// fails, or all of them together when `atomic`.
pub async fn batch(state: &AppState, actor: &Actor, request: BatchRequest) -> ApiResult<BatchResponse> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    if request.inputs.is_empty() || request.inputs.len() > 1000 {
        return Err(ApiError::invalid_field("/inputs", "length", "give 1 to 1000 inputs"));
    }
    let rule = match_on(&request)?;
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
            if atomic
                && let Some((index, error)) =
                    outcomes.iter().enumerate().find_map(|(i, o)| o.as_ref().err().map(|e| (i, e)))
            {
                let mut failed = ApiError::unprocessable(
                    "batch_failed",
                    format!("Input {index} failed: nothing was saved. {}", error.detail),
                );
                failed.errors = item_problem(index, error).errors;
                if failed.errors.is_empty() {
                    failed.errors.push(FieldError::new(format!("/inputs/{index}"), &error.code, &error.detail));
                }
                return Err(failed);
            }
            Ok(outcomes)
        })
        .await?;
    let results: Vec<BatchResult> = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| {
            let (status, id) = match outcome {
                Ok(Written::Created(c)) => ("created", c.id),
                Ok(Written::Updated(_, c)) => ("updated", c.id),
                Ok(Written::Unchanged(c)) => ("unchanged", c.id),
                Ok(Written::Unmatched) => {
                    let error = ApiError::not_found("contact matching this input");
                    return BatchResult {
                        index,
                        status: "error".into(),
                        id: None,
                        error: Some(item_problem(index, &error)),
                    };
                }
                Err(error) => {
                    return BatchResult {
                        index,
                        status: "error".into(),
                        id: None,
                        error: Some(item_problem(index, &error)),
                    };
                }
            };
            BatchResult { index, status: status.into(), id: Some(id), error: None }
        })
        .collect();
    let count = |status: &str| results.iter().filter(|r| r.status == status).count();
    Ok(BatchResponse {
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        failed: count("error"),
        results,
    })
}
