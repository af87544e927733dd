//! The import and revert jobs: run by the workers, a chunk of rows per transaction, each
//! transaction fenced by the job's lease and carrying its checkpoint, so a resumed job
//! continues after the last committed row and never applies a row twice.

use crm_core::auth::Actor;
use crm_core::auth::secrets::Keys;
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::files::FileReader;
use crm_core::jobs::{JobContext, JobError, JobResult};
use serde::{Deserialize, Serialize};

use super::bounded::{BoundedRows, Row};
use super::dto::{ImportCounts, ImportMode, ImportOptions};
use super::mapping::{CompanyRef, Plan, RowInput, row_input};
use super::model::{self, CREATED, FAILED, ImportRow, UPDATED};
use crate::company::dto::CompanyIn;
use crate::contact::bulk::{self, Written};
use crate::contact::dto::{BatchMode, MatchOn};
use crate::contact::dto::{ContactIn, ContactOut};
use crate::contact::service as contacts;
use crate::normalize::Domain;

/// Rows per transaction.
const CHUNK_ROWS: usize = 500;

/// What `POST /v1/imports` stores in the job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportPayload {
    pub file_id: String,
    pub filename: String,
    pub header: Vec<String>,
    pub options: ImportOptions,
}

/// The import's progress, saved with every chunk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub rows_total: Option<u64>,
    pub rows_processed: u64,
    pub counts: ImportCounts,
    /// Set when a revert was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revert_job_id: Option<String>,
}

fn permanent(e: impl std::fmt::Display) -> JobError {
    JobError::Permanent(e.to_string())
}

/// The upload's rows after its header row, read in bounded memory ([`BoundedRows`]).
fn rows(ctx: &JobContext, file_id: &str, options: &ImportOptions) -> Result<BoundedRows<FileReader>, JobError> {
    let file = FileReader::open(&ctx.db, &ctx.actor.scope(), file_id).map_err(|e| {
        if e.status == actix_web::http::StatusCode::NOT_FOUND {
            JobError::Permanent("the uploaded file is gone".into())
        } else {
            JobError::from(e)
        }
    })?;
    let settings = crate::settings::ContactsSettings::of(&ctx.state.config).map_err(permanent)?;
    let delimiter = options.delimiter.as_deref().and_then(|d| d.bytes().next()).unwrap_or(b',');
    let mut rows = BoundedRows::new(file, delimiter, settings.import_max_row_bytes, settings.import_max_cell_bytes);
    next_row(&mut rows)?; // the header row, read when the file was uploaded
    Ok(rows)
}

fn next_row(rows: &mut BoundedRows<FileReader>) -> Result<Option<Row>, JobError> {
    rows.next_row().map_err(|e| JobError::Retry(e.to_string()))
}

/// The import job (`contacts.import`). An import that cannot work ends as failed with an
/// `import.failed` event; other errors are retried by the worker.
pub fn run_import(ctx: &JobContext) -> JobResult {
    match import(ctx) {
        Err(JobError::Permanent(reason)) => ctx.write(|conn| {
            ctx.fail(conn, &ctx.progress, &reason)?;
            let job = crm_core::jobs::model::find_any(conn, &ctx.actor.scope(), ctx.id())?
                .ok_or_else(|| ApiError::not_found("import"))?;
            let out = serde_json::to_value(super::service::out(job, None))?;
            change::record(
                conn,
                &ctx.actor,
                Change {
                    resource: model::RECORD_TYPE,
                    id: ctx.id(),
                    action: "failed",
                    before: None,
                    after: Some(&out),
                },
            )
        }),
        other => other,
    }
}

fn import(ctx: &JobContext) -> JobResult {
    let payload: ImportPayload = serde_json::from_value(ctx.payload.clone()).map_err(permanent)?;
    let mut progress: Progress = serde_json::from_value(ctx.progress.clone()).unwrap_or_default();
    let plan = Plan::new(&payload.header, payload.options.mapping.as_ref()).map_err(|e| permanent(e.detail))?;
    let key = payload.options.match_on.as_deref().and_then(MatchOn::parse);
    if progress.rows_total.is_none() {
        // A counting pass, so the import can show how far along it is.
        let mut reader = rows(ctx, &payload.file_id, &payload.options)?;
        let mut total = 0u64;
        while next_row(&mut reader)?.is_some() {
            total += 1;
        }
        progress.rows_total = Some(total);
        let snapshot = serde_json::to_value(&progress).map_err(permanent)?;
        ctx.write(|conn| ctx.checkpoint(conn, &snapshot))?;
    }
    let mut reader = rows(ctx, &payload.file_id, &payload.options)?;
    let mut row_number = 0u64;
    while row_number < progress.rows_processed && next_row(&mut reader)?.is_some() {
        row_number += 1;
    }
    let mut chunks = 0u64;
    loop {
        chunks += 1;
        if chunks.is_power_of_two() && chunks > 1 {
            ctx.write(refresh_statistics)?;
        }
        let mut batch = Vec::with_capacity(CHUNK_ROWS);
        while batch.len() < CHUNK_ROWS
            && let Some(row) = next_row(&mut reader)?
        {
            row_number += 1;
            batch.push((row_number, row));
        }
        if batch.is_empty() {
            break;
        }
        let mut next = progress.clone();
        progress = ctx.write(|conn| {
            apply_chunk(conn, ctx, &payload, &plan, key.as_ref(), batch, &mut next)?;
            ctx.checkpoint(conn, &serde_json::to_value(&next)?)?;
            Ok(next)
        })?;
    }
    let final_progress = serde_json::to_value(&progress).map_err(permanent)?;
    ctx.write(|conn| {
        ctx.complete(conn, &final_progress)?;
        let job = crm_core::jobs::model::find_any(conn, &ctx.actor.scope(), ctx.id())?
            .ok_or_else(|| ApiError::not_found("import"))?;
        let out = serde_json::to_value(super::service::out(job, None))?;
        change::record(
            conn,
            &ctx.actor,
            Change { resource: model::RECORD_TYPE, id: ctx.id(), action: "completed", before: None, after: Some(&out) },
        )
    })
}

/// PostgreSQL plans (and caches plans for) the import's statements from the tables'
/// statistics; on a young database those say "empty", the plans scan whole tables, and an
/// import slows down as it fills them. Re-analyzing the tables it writes after 2, 4, 8…
/// chunks keeps the plans on the indexes (ANALYZE also invalidates cached plans). SQLite's
/// planner uses the indexes without statistics.
fn refresh_statistics(conn: &mut DbConnection) -> ApiResult<()> {
    if let DbConnection::Postgres(c) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            c,
            "ANALYZE contacts, contact_emails, record_tags, external_ids, companies, contact_companies, \
             audit_log, events, import_rows",
        )?;
    }
    Ok(())
}

/// Applies a chunk: each row in its own savepoint (a failing row rolls back alone); in a dry
/// run, the whole chunk's changes roll back and only the failures are kept.
fn apply_chunk(
    conn: &mut DbConnection,
    ctx: &JobContext,
    payload: &ImportPayload,
    plan: &Plan,
    key: Option<&MatchOn>,
    batch: Vec<(u64, Row)>,
    progress: &mut Progress,
) -> ApiResult<()> {
    let mut records = Vec::with_capacity(batch.len());
    let options = &payload.options;
    let mut run = |c: &mut DbConnection| -> ApiResult<()> {
        let outcomes = apply_rows(c, ctx, options, plan, &payload.header, key, &batch)?;
        for ((number, row), outcome) in batch.iter().zip(outcomes) {
            let counts = &mut progress.counts;
            let mut record = ImportRow {
                org_id: ctx.actor.org_id.clone(),
                job_id: ctx.id().to_string(),
                row_number: *number as i64,
                outcome: String::new(),
                contact_id: None,
                before: None,
                reason: None,
                raw: None,
            };
            match outcome {
                Ok(Done::Created(id)) => {
                    counts.created += 1;
                    record.outcome = CREATED.into();
                    record.contact_id = Some(id);
                }
                Ok(Done::Updated(id, before)) => {
                    counts.updated += 1;
                    record.outcome = UPDATED.into();
                    record.contact_id = Some(id);
                    record.before = Some(serde_json::to_string(&before)?);
                }
                Ok(Done::Unchanged) => {
                    counts.unchanged += 1;
                    continue;
                }
                Ok(Done::Skipped) => {
                    counts.skipped += 1;
                    continue;
                }
                Err(error) if error.status.is_server_error() => return Err(error),
                Err(error) => {
                    counts.failed += 1;
                    record.outcome = FAILED.into();
                    record.reason = Some(reason(&error));
                    record.raw = row.as_ref().ok().map(serde_json::to_string).transpose()?;
                }
            }
            records.push(record);
        }
        Ok(())
    };
    if options.dry_run {
        let rolled_back = diesel::Connection::transaction(conn, |c| {
            run(c)?;
            Err::<(), ApiError>(ApiError::new(actix_web::http::StatusCode::OK, "dry_run", "rolled back"))
        });
        match rolled_back {
            Err(e) if e.code == "dry_run" => {}
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        records.retain(|r| r.outcome == FAILED);
    } else {
        run(conn)?;
    }
    progress.rows_processed += batch.len() as u64;
    model::insert(conn, &records)
}

/// One line a person can read: the problem and each field's pointer and detail.
fn reason(error: &ApiError) -> String {
    let mut text = error.detail.clone();
    for field in &error.errors {
        text.push_str(&format!(
            " {}: {}.",
            if field.pointer.is_empty() { "row" } else { &field.pointer },
            field.detail
        ));
    }
    text
}

/// The rows' outcomes, in order: runs of rows without a company are written together
/// ([`bulk::BulkWrite`]); a row naming a company is written alone with its link, so a link
/// that fails rolls its contact back too.
fn apply_rows(
    conn: &mut DbConnection,
    ctx: &JobContext,
    options: &ImportOptions,
    plan: &Plan,
    header: &[String],
    key: Option<&MatchOn>,
    batch: &[(u64, Row)],
) -> ApiResult<Vec<ApiResult<Done>>> {
    let (keys, actor) = (&ctx.state.keys, &ctx.actor);
    let region = crm_core::organizations::phone_region(conn, &actor.scope())?;
    let custom = crm_core::custom_fields::Schema::load(conn, &actor.scope(), crate::contact::model::RECORD_TYPE)?;
    let mode = match options.mode {
        ImportMode::Create => BatchMode::Create,
        ImportMode::Update => BatchMode::Update,
        ImportMode::Upsert => BatchMode::Upsert,
    };
    let write = bulk::BulkWrite { mode, rule: key, region: &region, merge, atomic: false };
    let mut outcomes: Vec<Option<ApiResult<Done>>> = batch.iter().map(|_| None).collect();
    let mut run: Vec<(usize, bulk::BulkInput)> = Vec::new();
    for (index, (_, row)) in batch.iter().enumerate() {
        let input = match row {
            Err(too_large) => Err(ApiError::invalid_field("", "row_too_large", too_large.clone())),
            Ok(row) if row.iter().all(|v| v.trim().is_empty()) => {
                outcomes[index] = Some(Ok(Done::Skipped));
                continue;
            }
            Ok(row) => row_input(plan, header, row).map(|mut input| {
                if let Some(values) = input.contact.custom.take() {
                    input.contact.custom = Some(custom.from_text(values));
                }
                input
            }),
        };
        match input {
            Ok(RowInput { id, contact, company: Some(company) }) => {
                write_run(conn, ctx, &write, &mut run, &mut outcomes)?;
                outcomes[index] = Some(diesel::Connection::transaction(conn, |c| {
                    let written = write.apply_one(c, keys, actor, id.as_deref(), contact)?;
                    if let Some(contact_id) = written_id(&written) {
                        link_company(c, actor, options.create_companies, contact_id, &company)?;
                    }
                    Ok(Done::from(written))
                }));
            }
            Ok(RowInput { id, contact, company: None }) => {
                run.push((index, bulk::BulkInput { id, properties: Ok(contact) }));
            }
            Err(error) => run.push((index, bulk::BulkInput { id: None, properties: Err(error) })),
        }
    }
    write_run(conn, ctx, &write, &mut run, &mut outcomes)?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(ApiError::internal("an import row was left out"))))
        .collect())
}

/// Writes a run of rows together and takes their outcomes.
fn write_run(
    conn: &mut DbConnection,
    ctx: &JobContext,
    write: &bulk::BulkWrite<'_>,
    run: &mut Vec<(usize, bulk::BulkInput)>,
    outcomes: &mut [Option<ApiResult<Done>>],
) -> ApiResult<()> {
    if run.is_empty() {
        return Ok(());
    }
    let (indexes, inputs): (Vec<usize>, Vec<bulk::BulkInput>) = std::mem::take(run).into_iter().unzip();
    for (index, written) in indexes.into_iter().zip(write.run(conn, &ctx.state.keys, &ctx.actor, inputs)?) {
        outcomes[index] = Some(written.map(Done::from));
    }
    Ok(())
}

fn written_id(written: &Written) -> Option<&str> {
    match written {
        Written::Created(c) | Written::Updated(_, c) | Written::Unchanged(c) => Some(&c.id),
        Written::Unmatched => None,
    }
}

enum Done {
    Created(String),
    Updated(String, Box<ContactOut>),
    Unchanged,
    Skipped,
}

impl From<Written> for Done {
    fn from(written: Written) -> Done {
        match written {
            Written::Created(c) => Done::Created(c.id),
            Written::Updated(before, after) => Done::Updated(after.id, before),
            Written::Unchanged(_) => Done::Unchanged,
            // An update that matches no contact skips the row.
            Written::Unmatched => Done::Skipped,
        }
    }
}

/// A row's values on top of the stored contact: e-mails, phones and tags are added to the
/// contact's (normalization drops duplicates); other fields given replace the stored ones.
fn merge(base: &mut ContactIn, mut row: ContactIn) {
    if let Some(emails) = row.emails.take() {
        base.emails.get_or_insert_with(Vec::new).extend(emails);
    }
    if let Some(phones) = row.phones.take() {
        base.phones.get_or_insert_with(Vec::new).extend(phones);
    }
    if let Some(tags) = row.tags.take() {
        base.tags.get_or_insert_with(Vec::new).extend(tags);
    }
    contacts::overlay(base, row);
}

/// Links the contact to the company the row names (by domain, then name), creating it if allowed.
fn link_company(
    conn: &mut DbConnection,
    actor: &Actor,
    create: bool,
    contact_id: &str,
    company: &CompanyRef,
) -> ApiResult<()> {
    let scope = actor.scope();
    let domain = company.domain.as_deref().and_then(|d| Domain::parse(d).ok()).map(Domain::into_string);
    let mut found = match &domain {
        Some(d) => crate::company::model::find_by_domain(conn, &scope, d, "")?,
        None => None,
    };
    if found.is_none()
        && let Some(name) = &company.name
    {
        found = crate::company::model::find_by_name(conn, &scope, name)?;
    }
    let company_id = match found {
        Some(id) => id,
        None if create => {
            let name = company.name.clone().or_else(|| domain.clone()).unwrap_or_default();
            let input = CompanyIn { name, domain: company.domain.clone(), ..Default::default() };
            let normalized = crate::company::service::normalize(input).map_err(|mut e| {
                for field in &mut e.errors {
                    field.pointer = format!("/company{}", field.pointer);
                }
                e
            })?;
            crate::company::service::create_in(conn, actor, &normalized)?.id
        }
        None => {
            let named = company.name.clone().or(domain).unwrap_or_default();
            return Err(ApiError::unprocessable("unknown_company", format!("No company {named:?} exists.")));
        }
    };
    crate::link::service::link_in(conn, actor, contact_id, &company_id, crate::link::dto::LinkIn::default())?;
    Ok(())
}

/// What the revert job stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevertPayload {
    pub import_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RevertProgress {
    pub rows_total: u64,
    pub rows_processed: u64,
    pub reverted: u64,
    pub skipped: u64,
    pub failed: u64,
    /// The last row undone (rows are undone last first).
    pub last_row: Option<i64>,
}

/// The revert job (`contacts.import_revert`): undoes an import's rows, last first.
pub fn run_revert(ctx: &JobContext) -> JobResult {
    let payload: RevertPayload = serde_json::from_value(ctx.payload.clone()).map_err(permanent)?;
    let mut progress: RevertProgress = serde_json::from_value(ctx.progress.clone()).unwrap_or_default();
    let scope = ctx.actor.scope();
    loop {
        let before = progress.last_row.unwrap_or(i64::MAX);
        let rows = ctx.read(|conn| model::changes_before(conn, &scope, &payload.import_id, before, 200))?;
        if rows.is_empty() {
            break;
        }
        let mut next = progress.clone();
        progress = ctx.write(|conn| {
            for row in &rows {
                match diesel::Connection::transaction(conn, |c| revert_row(c, &ctx.state.keys, &ctx.actor, row)) {
                    Ok(true) => next.reverted += 1,
                    Ok(false) => next.skipped += 1,
                    Err(e) if e.status.is_server_error() => return Err(e),
                    Err(_) => next.failed += 1,
                }
                next.rows_processed += 1;
                next.last_row = Some(row.row_number);
            }
            ctx.checkpoint(conn, &serde_json::to_value(&next)?)?;
            Ok(next)
        })?;
    }
    let final_progress = serde_json::to_value(&progress).map_err(permanent)?;
    ctx.write(|conn| {
        ctx.complete(conn, &final_progress)?;
        let after = serde_json::json!({"id": payload.import_id, "revert_job_id": ctx.id(), "reverted": progress.reverted,
            "skipped": progress.skipped, "failed": progress.failed});
        change::record(
            conn,
            &ctx.actor,
            Change {
                resource: model::RECORD_TYPE,
                id: &payload.import_id,
                action: "reverted",
                before: None,
                after: Some(&after),
            },
        )
    })
}

/// Deletes a created contact or restores an updated one; false when the contact is gone.
fn revert_row(conn: &mut DbConnection, keys: &Keys, actor: &Actor, row: &ImportRow) -> ApiResult<bool> {
    let Some(contact_id) = &row.contact_id else { return Ok(false) };
    if crate::contact::model::find(conn, &actor.scope(), contact_id)?.is_none() {
        return Ok(false);
    }
    if row.outcome == CREATED {
        contacts::delete_in(conn, actor, contact_id, None)?;
    } else {
        let before: ContactOut = serde_json::from_str(row.before.as_deref().unwrap_or("null"))?;
        // The before-image's phones are in E.164, which reads the same in every region.
        let restored = contacts::normalize(ContactIn::from(before), crate::normalize::DEFAULT_REGION)?;
        contacts::update_in(conn, keys, actor, contact_id, None, |_, _| Ok(restored))?;
    }
    Ok(true)
}
