//! Bulk writes (batches, imports): inputs applied in order, each with the result it would have
//! had alone, written in runs a statement per table (docs/architecture.md, "Bulk writes").

use std::collections::{BTreeMap, HashMap, HashSet};

use crm_core::auth::Actor;
use crm_core::auth::secrets::Keys;
use crm_core::change::{self, Change};
use crm_core::custom_fields::Schema;
use crm_core::custom_fields::values;
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::scope::Scope;
use crm_core::{records, search_index};

use super::dto::{BatchMode, ContactIn, ContactOut, MatchOn};
use super::model::{self, Contact, ContactFields, RECORD_TYPE};
use super::service::{
    CONTACTS, Indexed, Normalized, create_in, duplicate, find_match, normalize, same_document, shown, update_in,
};
use crate::normalize::{DEFAULT_REGION, Email};

/// What an input is matched by under `rule`: its id, its first e-mail (normalized) or its
/// external id of the rule's source.
pub(super) fn match_key(rule: &MatchOn, id: Option<&str>, input: &ContactIn) -> Option<String> {
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

/// Who holds the external ids these contacts give, by (source, id): one query per source.
fn external_id_holders<'a>(
    conn: &mut DbConnection,
    scope: &Scope,
    contacts: impl Iterator<Item = &'a Normalized> + Clone,
) -> ApiResult<HashMap<(String, String), String>> {
    let mut holders = HashMap::new();
    let sources: HashSet<&String> = contacts.clone().flat_map(|c| c.external_ids.keys()).collect();
    for source in sources {
        let wanted: Vec<&str> =
            contacts.clone().filter_map(|c| c.external_ids.get(source)).map(String::as_str).collect();
        let held = records::holders_of_external_ids(conn, scope, RECORD_TYPE, source, &wanted)?;
        holders.extend(held.into_iter().map(|(external_id, holder)| ((source.clone(), external_id), holder)));
    }
    Ok(holders)
}

/// The owners a write names, each looked up once: whether it is an active user.
#[derive(Default)]
struct Owners(HashMap<String, bool>);

impl Owners {
    fn check(&mut self, conn: &mut DbConnection, scope: &Scope, owner: &str) -> ApiResult<()> {
        let active = match self.0.get(owner) {
            Some(active) => *active,
            None => {
                let active = match crm_core::users::model::check_owner(conn, scope, owner) {
                    Ok(()) => true,
                    Err(error) if error.status.is_client_error() => false,
                    Err(error) => return Err(error),
                };
                *self.0.entry(owner.to_string()).or_insert(active)
            }
        };
        if active { Ok(()) } else { Err(crm_core::users::model::unknown_owner()) }
    }
}

/// Creates many contacts at once: each checked as a single create checks it (its owner,
/// erased and taken e-mails, custom fields, external ids, and against the contacts before it
/// here), then those that pass written a statement per table, with their audit rows and
/// events. One result per contact, in order; an error of the database fails the whole call.
fn create_many(
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
    let mut id_holders = external_id_holders(conn, &scope, contacts.iter().copied())?;
    let mut owners = Owners::default();
    let mut accepted: Vec<(String, &Normalized, ContactFields)> = Vec::new();
    let mut results: Vec<ApiResult<String>> = Vec::with_capacity(contacts.len());
    for &contact in contacts {
        let id = crm_core::id::new_id(model::ID_PREFIX);
        let mut check = || -> ApiResult<ContactFields> {
            let owner_id = contact.fields.owner_id.clone().or_else(|| default_owner.clone());
            if let Some(owner) = &owner_id {
                owners.check(conn, &scope, owner)?;
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
        for ((index, input), key) in inputs.into_iter().enumerate().zip(match_keys) {
            let properties = match input.properties {
                Ok(properties) => properties,
                Err(error) => {
                    results[index] = Some(Err(error));
                    // Atomic: the run before it first (an earlier input may fail there), then stop.
                    if self.atomic && self.flush_stops(conn, keys, actor, &mut pending, &mut holders, &mut results)? {
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
                if !pending.updates.is_empty()
                    && self.flush_stops(conn, keys, actor, &mut pending, &mut holders, &mut results)?
                {
                    break;
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
                        if self.atomic
                            && self.flush_stops(conn, keys, actor, &mut pending, &mut holders, &mut results)?
                        {
                            break;
                        }
                    }
                }
                continue;
            }
            if let (Some(rule), Some(holder)) = (rule, holder) {
                if !pending.creates.is_empty()
                    && self.flush_stops(conn, keys, actor, &mut pending, &mut holders, &mut results)?
                {
                    break;
                }
                pending.claim(input_keys(rule, &properties), Some(&holder));
                pending.updates.push(Matched { index, input_id: input.id, contact_id: holder, properties });
                continue;
            }
            // Its match may have moved in this write: settled alone, after the run before it.
            if self.flush_stops(conn, keys, actor, &mut pending, &mut holders, &mut results)? {
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

    /// Writes the pending run ([`BulkWrite::flush`]); whether an atomic write must stop there,
    /// since an input has failed.
    fn flush_stops(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        actor: &Actor,
        pending: &mut Pending,
        holders: &mut HashMap<String, String>,
        results: &mut [Option<ApiResult<Written>>],
    ) -> ApiResult<bool> {
        self.flush(conn, keys, actor, pending, holders, results)?;
        Ok(self.atomic && results.iter().flatten().any(Result::is_err))
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
        // Locked as the write runner locks one record, then read in the caller's sight.
        CONTACTS.lock_many(conn, &scope, &ids)?;
        let mut rows: HashMap<String, Contact> =
            model::find_many(conn, &scope, &ids)?.into_iter().map(|c| (c.id.clone(), c)).collect();
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
        let changing_ids = drafts.iter().filter(|d| ids_changed(d)).map(|d| &d.contact);
        let mut id_holders = external_id_holders(conn, &scope, changing_ids)?;
        let mut owners = Owners::default();
        let mut accepted: Vec<(Draft, ContactFields)> = Vec::new();
        for draft in drafts {
            let (id, contact) = (draft.before.id.clone(), &draft.contact);
            let mut check = || -> ApiResult<ContactFields> {
                let owner_id = contact.fields.owner_id.clone();
                if let Some(owner) = &owner_id
                    && draft.previous.as_ref().is_none_or(|p| p.fields.owner_id != owner_id)
                {
                    owners.check(conn, &scope, owner)?;
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
