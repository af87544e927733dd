//! Finding duplicates and merging contacts.

use std::collections::BTreeMap;

use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::{records, search_index};
use diesel::Connection;
use serde_json::json;

use super::dto::{
    DuplicateGroup, DuplicateMatch, DuplicatePair, DuplicatesOut, DuplicatesRequest, InputMatches, MergeOut,
    MergeRequest,
};
use super::matcher::{self, Candidate, Kind, Prepared};
use super::model;
use crate::company::dto::CompanyIn;
use crate::contact::dto::{ContactIn, ContactOut, EmailEntry, LifecycleStage, PhoneEntry};
use crate::contact::model::{LIFECYCLE_STAGES, RECORD_TYPE};
use crate::contact::service as contacts;
use crate::normalize::{DEFAULT_REGION, Domain, Email, Phone};
use crate::permissions;

const DEFAULT_MIN_SCORE: f64 = 0.8;
const DEFAULT_LIMIT: usize = 100;
const MAX_INPUTS: usize = 1000;

fn check_inputs<T>(inputs: &Option<Vec<T>>) -> ApiResult<()> {
    match inputs {
        Some(list) if list.is_empty() || list.len() > MAX_INPUTS => Err(ApiError::invalid_field(
            "/inputs",
            "invalid_length",
            format!("give 1 to {MAX_INPUTS} inputs, or none to scan the organization"),
        )),
        _ => Ok(()),
    }
}

fn strings(reasons: &[&'static str]) -> Vec<String> {
    reasons.iter().map(|r| r.to_string()).collect()
}

/// Groups of duplicates among `records`, best first.
fn report(records: Vec<Candidate>, kind: Kind, min_score: f64, limit: usize) -> DuplicatesOut {
    let prepared: Vec<Prepared> = records.iter().map(Prepared::new).collect();
    let pairs = matcher::pairs(&prepared, kind, min_score);
    let mut groups: Vec<DuplicateGroup> = matcher::groups(prepared.len(), &pairs)
        .into_iter()
        .map(|members| {
            let inside: Vec<&matcher::Pair> = pairs.iter().filter(|p| members.binary_search(&p.a).is_ok()).collect();
            let mut reasons: Vec<String> = inside.iter().flat_map(|p| strings(&p.reasons)).collect();
            reasons.sort();
            reasons.dedup();
            DuplicateGroup {
                ids: members.iter().map(|&i| records[i].id.clone()).collect(),
                score: inside.iter().map(|p| p.score).fold(0.0, f64::max),
                reasons,
                pairs: inside
                    .iter()
                    .map(|p| DuplicatePair {
                        a: records[p.a].id.clone(),
                        b: records[p.b].id.clone(),
                        score: p.score,
                        reasons: strings(&p.reasons),
                    })
                    .collect(),
            }
        })
        .collect();
    groups.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.ids.len().cmp(&a.ids.len())).then(a.ids.cmp(&b.ids)));
    let has_more = groups.len() > limit;
    groups.truncate(limit);
    DuplicatesOut { groups, inputs: Vec::new(), scanned: records.len(), has_more }
}

/// Each input's matches among `existing`.
fn matches(inputs: &[Candidate], existing: &[Candidate], kind: Kind, min_score: f64) -> DuplicatesOut {
    let known: Vec<Prepared> = existing.iter().map(Prepared::new).collect();
    let mut out = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let candidate = Prepared::new(input);
        let mut found: Vec<DuplicateMatch> = known
            .iter()
            .filter_map(|k| matcher::score(&candidate, k, kind).map(|(score, reasons)| (k, score, reasons)))
            .filter(|(_, score, _)| *score >= min_score)
            .map(|(k, score, reasons)| DuplicateMatch { id: k.id.clone(), score, reasons: strings(&reasons) })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        if !found.is_empty() {
            out.push(InputMatches { input: i, matches: found });
        }
    }
    DuplicatesOut { groups: Vec::new(), inputs: out, scanned: existing.len(), has_more: false }
}

fn contact_candidate(input: &ContactIn) -> Candidate {
    Candidate {
        name: [input.first_name.as_deref(), input.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        emails: input
            .emails
            .iter()
            .flatten()
            .filter_map(|e| Email::parse(&e.address).ok())
            .map(Email::into_string)
            .collect(),
        phones: input
            .phones
            .iter()
            .flatten()
            .map(|p| {
                Phone::parse(&p.number, DEFAULT_REGION).map(|p| p.into_string()).unwrap_or_else(|_| p.number.clone())
            })
            .collect(),
        addresses: input
            .addresses
            .iter()
            .flatten()
            .map(|a| {
                (
                    a.line1.clone().unwrap_or_default(),
                    a.city.clone().unwrap_or_default(),
                    a.postal_code.clone().unwrap_or_default(),
                )
            })
            .collect(),
        ..Default::default()
    }
}

fn company_candidate(input: &CompanyIn) -> Candidate {
    Candidate {
        name: input.name.clone(),
        domain: input.domain.as_deref().and_then(|d| Domain::parse(d).ok()).map(Domain::into_string),
        addresses: input
            .addresses
            .iter()
            .flatten()
            .map(|a| {
                (
                    a.line1.clone().unwrap_or_default(),
                    a.city.clone().unwrap_or_default(),
                    a.postal_code.clone().unwrap_or_default(),
                )
            })
            .collect(),
        ..Default::default()
    }
}

/// How the finder reads one record type.
pub struct Finder<I> {
    pub kind: Kind,
    /// An input as the finder sees it.
    pub candidate: fn(&I) -> Candidate,
    /// Every live record of the organization.
    pub all: fn(&mut DbConnection, &Scope) -> ApiResult<Vec<Candidate>>,
    /// The live records that could match the inputs.
    pub like: fn(&mut DbConnection, &Scope, &[Candidate]) -> ApiResult<Vec<Candidate>>,
}

pub const CONTACTS: Finder<ContactIn> =
    Finder { kind: Kind::Contact, candidate: contact_candidate, all: model::all_contacts, like: model::contacts_like };
pub const COMPANIES: Finder<CompanyIn> = Finder {
    kind: Kind::Company,
    candidate: company_candidate,
    all: model::all_companies,
    like: model::companies_like,
};

/// Groups of duplicates in the organization, or each input's matches in it. Changes nothing.
pub async fn duplicates<I: validator::Validate>(
    state: &AppState,
    actor: &Actor,
    finder: &Finder<I>,
    request: DuplicatesRequest<I>,
) -> ApiResult<DuplicatesOut> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    check_inputs(&request.inputs)?;
    let min_score = request.min_score.unwrap_or(DEFAULT_MIN_SCORE);
    let limit = request.limit.map_or(DEFAULT_LIMIT, |l| l as usize);
    let (scope, kind) = (actor.scope(), finder.kind);
    match request.inputs {
        None => {
            let all = finder.all;
            let records = state.db.read(move |conn| all(conn, &scope)).await?;
            web_block(move || report(records, kind, min_score, limit)).await
        }
        Some(inputs) => {
            let candidates: Vec<Candidate> = inputs.iter().map(finder.candidate).collect();
            let (like, for_query) = (finder.like, candidates.clone());
            let existing = state.db.read(move |conn| like(conn, &scope, &for_query)).await?;
            Ok(matches(&candidates, &existing, kind, min_score))
        }
    }
}

/// Runs CPU-bound work off the HTTP workers.
async fn web_block<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    actix_web::web::block(f).await.map_err(ApiError::internal)
}

/// How far along a lifecycle stage is (`other` least).
fn stage_rank(stage: LifecycleStage) -> usize {
    LIFECYCLE_STAGES
        .iter()
        .position(|s| *s == stage.as_str())
        .filter(|_| stage != LifecycleStage::Other)
        .map_or(0, |i| i + 1)
}

/// The survivor's data combined with the merged contacts', as `prefer` says.
fn combine(survivor: &ContactOut, losers: &[ContactOut], prefer: &BTreeMap<String, String>) -> ApiResult<ContactIn> {
    let mut draft = ContactIn::from(survivor.clone());
    let everyone: Vec<&ContactOut> = std::iter::once(survivor).chain(losers.iter()).collect();
    macro_rules! fill {
        ($($field:ident),*) => { $(
            if draft.$field.is_none() {
                draft.$field = losers.iter().find_map(|l| l.$field.clone());
            }
        )* };
    }
    fill!(first_name, last_name, job_title, lead_source, owner_id);
    draft.lifecycle_stage = everyone.iter().map(|c| c.lifecycle_stage).max_by_key(|s| stage_rank(*s));
    let mut emails: Vec<EmailEntry> = survivor.emails.clone();
    let mut phones: Vec<PhoneEntry> = survivor.phones.clone();
    let mut addresses = survivor.addresses.clone();
    let mut tags = survivor.tags.clone();
    let mut external_ids = survivor.external_ids.clone();
    let mut custom = survivor.custom.clone();
    for loser in losers {
        for e in &loser.emails {
            if !emails.iter().any(|x| x.address == e.address) {
                emails.push(EmailEntry { primary: emails.is_empty() && e.primary, ..e.clone() });
            }
        }
        for p in &loser.phones {
            if !phones.iter().any(|x| x.number == p.number) {
                phones.push(PhoneEntry { primary: phones.is_empty() && p.primary, ..p.clone() });
            }
        }
        for a in &loser.addresses {
            if !addresses.contains(a) {
                addresses.push(a.clone());
            }
        }
        for t in &loser.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        for (source, id) in &loser.external_ids {
            external_ids.entry(source.clone()).or_insert_with(|| id.clone());
        }
        for (key, value) in &loser.custom {
            custom.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    for (field, id) in prefer {
        let pointer = format!("/prefer/{field}");
        let Some(source) = everyone.iter().find(|c| c.id == *id) else {
            return Err(ApiError::invalid_field(&pointer, "not_in_merge", "must be the survivor or one of merge_ids"));
        };
        match field.as_str() {
            "first_name" => draft.first_name = source.first_name.clone(),
            "last_name" => draft.last_name = source.last_name.clone(),
            "job_title" => draft.job_title = source.job_title.clone(),
            "lead_source" => draft.lead_source = source.lead_source.clone(),
            "owner_id" => draft.owner_id = source.owner_id.clone(),
            "lifecycle_stage" => draft.lifecycle_stage = Some(source.lifecycle_stage),
            "email" => {
                if let Some(primary) = &source.email {
                    emails.iter_mut().for_each(|e| e.primary = e.address == *primary);
                }
            }
            "phone" => {
                if let Some(primary) = &source.phone {
                    phones.iter_mut().for_each(|p| p.primary = p.number == *primary);
                }
            }
            other => match other.strip_prefix("custom.") {
                Some(key) => match source.custom.get(key) {
                    Some(value) => {
                        custom.insert(key.to_string(), value.clone());
                    }
                    None => {
                        custom.remove(key);
                    }
                },
                None => {
                    return Err(ApiError::invalid_field(&pointer, "unknown_field", "this field cannot be preferred"));
                }
            },
        }
    }
    draft.emails = Some(emails);
    draft.phones = Some(phones);
    draft.addresses = Some(addresses);
    draft.tags = Some(tags);
    draft.external_ids = Some(external_ids);
    draft.custom = Some(custom);
    Ok(draft)
}

fn merge_in(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    survivor_id: &str,
    request: &MergeRequest,
) -> ApiResult<MergeOut> {
    let scope = actor.scope();
    // Every contact taking part is held until the merge commits, taken in one order so two
    // merges over the same contacts cannot deadlock.
    let mut taking_part: Vec<&str> = request.merge_ids.iter().map(String::as_str).collect();
    taking_part.push(survivor_id);
    taking_part.sort_unstable();
    taking_part.dedup();
    for id in taking_part {
        contacts::CONTACTS.lock(conn, &scope, id)?;
    }
    let survivor = contacts::load(conn, &scope, survivor_id)?;
    let mut losers = Vec::new();
    let mut errors = Vec::new();
    for (i, id) in request.merge_ids.iter().enumerate() {
        if id == survivor_id || request.merge_ids[..i].contains(id) {
            errors.push(FieldError::new(format!("/merge_ids/{i}"), "invalid_id", "list other contacts, each once"));
        } else {
            match contacts::load(conn, &scope, id) {
                Ok(contact) => losers.push(contact),
                Err(_) => errors.push(FieldError::new(format!("/merge_ids/{i}"), "not_found", "no such live contact")),
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let merged = combine(&survivor, &losers, &request.prefer)?;
    let (mut moved_activities, mut moved_company_links) = (0, 0);
    for loser in &losers {
        // Free what the survivor takes over before it claims it.
        crate::contact::model::set_emails(conn, &scope, &loser.id, &[])?;
        records::set_external_ids(conn, &scope, RECORD_TYPE, &loser.id, &BTreeMap::new())?;
        search_index::remove(conn, &scope, &loser.id)?;
        moved_activities += model::move_activities(conn, &scope, &loser.id, survivor_id)?;
        moved_company_links += model::move_company_links(conn, &scope, &loser.id, survivor_id)?;
        model::set_merged(conn, &scope, &loser.id, survivor_id)?;
        let before = serde_json::to_value(loser)?;
        change::record(
            conn,
            actor,
            Change { resource: RECORD_TYPE, id: &loser.id, action: "deleted", before: Some(&before), after: None },
        )?;
    }
    let normalized = contacts::normalize(merged, &crm_core::organizations::phone_region(conn, &scope)?)?;
    let contact = contacts::update_in(conn, keys, actor, survivor_id, None, |_, _| Ok(normalized))?;
    let merged_ids: Vec<String> = losers.iter().map(|l| l.id.clone()).collect();
    let before = serde_json::to_value(&survivor)?;
    let mut after = serde_json::to_value(&contact)?;
    after["merged_ids"] = json!(merged_ids);
    change::record(
        conn,
        actor,
        Change { resource: RECORD_TYPE, id: survivor_id, action: "merged", before: Some(&before), after: Some(&after) },
    )?;
    Ok(MergeOut { contact, merged_ids, moved_activities, moved_company_links, dry_run: request.dry_run })
}

/// Merges contacts into one; a dry run does the same work in a savepoint and rolls it back.
pub async fn merge(state: &AppState, actor: &Actor, survivor_id: String, request: MergeRequest) -> ApiResult<MergeOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            if !request.dry_run {
                return merge_in(conn, &keys, &actor, &survivor_id, &request);
            }
            let mut outcome = None;
            // Diesel's own way to roll back on purpose: nothing logs it as a failure.
            let _rolled_back = conn.transaction::<(), diesel::result::Error, _>(|c| {
                outcome = Some(merge_in(c, &keys, &actor, &survivor_id, &request));
                Err(diesel::result::Error::RollbackTransaction)
            });
            outcome.unwrap_or_else(|| Err(ApiError::internal("dry run did not run")))
        })
        .await
}

/// Where a merged contact went (for the `301` of `GET /v1/contacts/{id}`).
pub async fn merged_into(state: &AppState, actor: &Actor, id: String) -> ApiResult<Option<String>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| model::merged_into(conn, &scope, &id)).await
}
