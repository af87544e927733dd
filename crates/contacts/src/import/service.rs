//! Import use cases: take an upload (streamed into file chunks) and queue its job; show
//! imports; stream the failed rows; queue a revert.

use actix_multipart::Multipart;
use actix_web::web::Bytes;
use crm_core::auth::{Action, Actor};
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::files::Upload;
use crm_core::http::{Page, page};
use crm_core::jobs::model::{self as jobs, Job};
use crm_core::state::AppState;
use futures_util::{Stream, StreamExt};

use super::dto::{ImportMode, ImportOptions, ImportOut, ImportsQuery, RevertOut};
use super::job::{ImportPayload, Progress, RevertPayload, RevertProgress};
use super::mapping::{Plan, Target};
use super::model::{self, IMPORT_KIND, REVERT_KIND};
use crate::contact::dto::MatchOn;
use crate::permissions;
use crm_core::scope::Scope;

/// Attempts of an import job before it fails (a resumed attempt continues where the last stopped).
const MAX_ATTEMPTS: i32 = 5;
/// The `options` part is JSON of at most this size.
const MAX_OPTIONS_BYTES: usize = 64 * 1024;
/// The header row must end within this many bytes.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// The API view of an import job (and of its revert job, when there is one).
pub fn out(job: Job, revert: Option<Job>) -> ImportOut {
    let payload: Option<ImportPayload> = serde_json::from_str(&job.payload).ok();
    let progress: Progress = serde_json::from_str(&job.progress).unwrap_or_default();
    let options = payload.as_ref().map(|p| p.options.clone()).unwrap_or_default();
    let percent = match progress.rows_total {
        _ if job.status == jobs::SUCCEEDED => 100.0,
        Some(0) | None => 0.0,
        Some(total) => ((progress.rows_processed as f64 / total as f64) * 1000.0).round() / 10.0,
    };
    let revert = revert.map(|r| {
        let p: RevertProgress = serde_json::from_str(&r.progress).unwrap_or_default();
        RevertOut { job_id: r.id, status: r.status, reverted: p.reverted, skipped: p.skipped, failed: p.failed }
    });
    ImportOut {
        id: job.id,
        status: job.status,
        filename: payload.map(|p| p.filename).unwrap_or_default(),
        mode: options.mode,
        match_on: options.match_on,
        dry_run: options.dry_run,
        rows_total: progress.rows_total,
        rows_processed: progress.rows_processed,
        percent,
        counts: progress.counts,
        error: job.last_error,
        revert,
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
    }
}

fn bad_upload(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_upload", detail)
}

/// A part that could not be read: a 408 when the upload stopped arriving.
fn unreadable_part(error: actix_multipart::MultipartError, part: &str) -> ApiError {
    match error {
        actix_multipart::MultipartError::Payload(e) => crm_core::http::client_limits::unreadable(&e),
        other => bad_upload(format!("The {part} part is unreadable: {other}.")),
    }
}

/// The parts of the upload, read: the options and the stored file with its header row.
struct Received {
    options: Option<ImportOptions>,
    file: Option<(Upload, String, Vec<u8>)>,
}

/// Reads the multipart body: the `options` JSON into memory, the `file` into chunks as it
/// streams (keeping only the bytes up to the end of the header row).
async fn receive(state: &AppState, actor: &Actor, form: &mut Multipart, received: &mut Received) -> ApiResult<()> {
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| bad_upload(format!("The multipart body is malformed: {e}.")))?;
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "options" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| unreadable_part(e, "options"))?;
                    if bytes.len() + chunk.len() > MAX_OPTIONS_BYTES {
                        return Err(ApiError::invalid_field("/options", "too_large", "options are at most 64 KiB"));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let options: ImportOptions = crm_core::http::parse_json(&bytes).map_err(|mut e| {
                    for field in &mut e.errors {
                        field.pointer = format!("/options{}", field.pointer);
                    }
                    if e.errors.is_empty() && e.code == "malformed_json" {
                        e = ApiError::invalid_field("/options", "malformed_json", e.detail);
                    }
                    e
                })?;
                validator::Validate::validate(&options).map_err(|e| {
                    let mut errors = crm_core::http::field_errors(&e);
                    for field in &mut errors {
                        field.pointer = format!("/options{}", field.pointer);
                    }
                    ApiError::validation(errors)
                })?;
                received.options = Some(options);
            }
            "file" => {
                if received.file.is_some() {
                    return Err(ApiError::invalid_field("/file", "duplicate", "send one file"));
                }
                let filename = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(|f| f.chars().take(255).collect::<String>())
                    .filter(|f| !f.trim().is_empty())
                    .unwrap_or_else(|| "upload.csv".to_string());
                let upload = Upload::start(&state.db, &actor.scope(), "import", &filename, "text/csv").await?;
                received.file = Some((upload, filename, Vec::new()));
                let Some((upload, _, head)) = received.file.as_mut() else { continue };
                while let Some(chunk) = field.next().await {
                    let chunk: Bytes = chunk.map_err(|e| unreadable_part(e, "file"))?;
                    if !head.contains(&b'\n') && head.len() < MAX_HEADER_BYTES {
                        head.extend_from_slice(&chunk[..chunk.len().min(MAX_HEADER_BYTES - head.len())]);
                    }
                    upload.write(&chunk).await?;
                }
            }
            other => {
                return Err(ApiError::invalid_field(
                    &format!("/{other}"),
                    "unknown_part",
                    "the body has two parts: options and file",
                ));
            }
        }
    }
    Ok(())
}

/// The header row's column names (a UTF-8 byte-order mark dropped).
fn header_of(head: &[u8], options: &ImportOptions) -> ApiResult<Vec<String>> {
    let delimiter = options.delimiter.as_deref().and_then(|d| d.bytes().next()).unwrap_or(b',');
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(head);
    let mut record = csv::ByteRecord::new();
    let found = reader.read_byte_record(&mut record).unwrap_or(false);
    let header: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect::<Vec<_>>();
    if !found || header.iter().all(String::is_empty) {
        return Err(ApiError::invalid_field("/file", "no_header", "the file must start with a header row"));
    }
    Ok(header)
}

/// Checks the options against the header: the mapping (custom fields among `custom_keys`), and
/// what `match_on` needs.
fn check(options: &ImportOptions, header: &[String], custom_keys: &[String]) -> ApiResult<()> {
    let plan = Plan::new(header, options.mapping.as_ref())?;
    let unknown: Vec<FieldError> = plan
        .columns
        .iter()
        .filter_map(|(index, target)| match target {
            Target::Custom(key) if !custom_keys.contains(key) => Some(FieldError::new(
                format!("/options/mapping/{}", header.get(*index).map(String::as_str).unwrap_or_default()),
                "unknown_custom_field",
                format!("no contact custom field has the key {key}"),
            )),
            _ => None,
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::validation(unknown));
    }
    let key = match options.match_on.as_deref() {
        None => None,
        Some(raw) => Some(MatchOn::parse(raw).ok_or_else(|| {
            ApiError::invalid_field("/options/match_on", "invalid_match", "email, id, or external_id:<source>")
        })?),
    };
    let needed = match (&key, options.mode) {
        (None, ImportMode::Create) => return Ok(()),
        (None, _) => {
            return Err(ApiError::invalid_field("/options/match_on", "required", "update and upsert need match_on"));
        }
        (Some(MatchOn::Email), _) => Target::Email,
        (Some(MatchOn::Id), _) => Target::Id,
        (Some(MatchOn::ExternalId(source)), _) => Target::ExternalId(source.clone()),
    };
    if !plan.has(&needed) {
        return Err(ApiError::invalid_field(
            "/options/match_on",
            "unmapped_match",
            "map a column to the field imports match on",
        ));
    }
    Ok(())
}

/// Stores the uploaded file and queues the import.
pub async fn create(state: &AppState, actor: &Actor, mut form: Multipart) -> ApiResult<ImportOut> {
    actor.require(permissions::IMPORTS, Action::Write)?;
    let mut received = Received { options: None, file: None };
    let read = receive(state, actor, &mut form, &mut received).await;
    let Received { options, file } = received;
    let (upload, filename, head) = match (read, file) {
        (Ok(()), Some(file)) => file,
        (Ok(()), None) => return Err(ApiError::invalid_field("/file", "required", "send the CSV as the file part")),
        (Err(e), file) => {
            if let Some((upload, _, _)) = file {
                upload.discard().await;
            }
            return Err(e);
        }
    };
    let options = options.unwrap_or_else(|| ImportOptions { create_companies: true, ..Default::default() });
    let scope = actor.scope();
    let custom_keys: Vec<String> = match state
        .db
        .read(move |conn| crm_core::custom_fields::Schema::load(conn, &scope, crate::contact::model::RECORD_TYPE))
        .await
    {
        Ok(schema) => schema.filter_fields().into_iter().map(|f| f.key).collect(),
        Err(e) => {
            upload.discard().await;
            return Err(e);
        }
    };
    let header = match header_of(&head, &options).and_then(|h| check(&options, &h, &custom_keys).map(|_| h)) {
        Ok(header) => header,
        Err(e) => {
            upload.discard().await;
            return Err(e);
        }
    };
    let file_id = upload.finish().await?;
    let payload = serde_json::to_value(ImportPayload { file_id, filename, header, options })?;
    let progress = serde_json::to_value(Progress::default())?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let id = jobs::enqueue(conn, &actor, IMPORT_KIND, &payload, &progress, MAX_ATTEMPTS)?;
            let job =
                jobs::find_any(conn, &actor.scope(), &id)?.ok_or_else(|| ApiError::internal("the job vanished"))?;
            Ok(out(job, None))
        })
        .await
}

fn load(conn: &mut crm_core::db::DbConnection, scope: &Scope, id: &str) -> ApiResult<ImportOut> {
    let job = jobs::find(conn, scope, id, &[IMPORT_KIND])?.ok_or_else(|| ApiError::not_found("import"))?;
    let progress: Progress = serde_json::from_str(&job.progress).unwrap_or_default();
    let revert = match &progress.revert_job_id {
        Some(revert_id) => jobs::find(conn, scope, revert_id, &[REVERT_KIND])?,
        None => None,
    };
    Ok(out(job, revert))
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<ImportOut> {
    actor.require(permissions::IMPORTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: ImportsQuery) -> ApiResult<Page<ImportOut>> {
    actor.require(permissions::IMPORTS, Action::Read)?;
    let paging = crm_core::http::ListQuery { limit: query.limit, cursor: query.cursor, sort: query.sort };
    let plan = jobs::SORTS.plan(&paging, &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| jobs::list(conn, &scope, IMPORT_KIND, &for_query)).await?;
    Ok(page(rows, &plan, |j| jobs::SORTS.position(&plan, j), |j| out(j, None)))
}

/// The failed rows as CSV: the file's columns, then `row_number` and `reason`, read from the
/// database a page at a time.
pub async fn failed_rows(
    state: &AppState,
    actor: &Actor,
    id: String,
) -> ApiResult<impl Stream<Item = Result<Bytes, actix_web::Error>> + use<>> {
    actor.require(permissions::IMPORTS, Action::Read)?;
    let scope = actor.scope();
    let job = {
        let (scope, id) = (scope.clone(), id.clone());
        state
            .db
            .read(move |conn| jobs::find(conn, &scope, &id, &[IMPORT_KIND]))
            .await?
            .ok_or_else(|| ApiError::not_found("import"))?
    };
    let payload: ImportPayload = serde_json::from_str(&job.payload)?;
    let mut header = payload.header;
    header.extend(["row_number".to_string(), "reason".to_string()]);
    let first = csv_line(std::iter::once(header));
    let db = state.db.clone();
    let rest = futures_util::stream::unfold(Some(0i64), move |after| {
        let (db, scope, id) = (db.clone(), scope.clone(), id.clone());
        async move {
            let after = after?;
            let rows = db.read(move |conn| model::failed_after(conn, &scope, &id, after, 1000)).await;
            match rows {
                Err(e) => Some((Err(actix_web::Error::from(e)), None)),
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = rows.last().map(|r| r.row_number);
                    let lines = rows.into_iter().map(|r| {
                        let mut values: Vec<String> =
                            r.raw.as_deref().and_then(|raw| serde_json::from_str(raw).ok()).unwrap_or_default();
                        values.extend([r.row_number.to_string(), r.reason.unwrap_or_default()]);
                        values
                    });
                    Some((Ok(csv_line(lines)), next))
                }
            }
        }
    });
    Ok(futures_util::stream::once(async move { Ok(first) }).chain(rest))
}

fn csv_line(rows: impl Iterator<Item = Vec<String>>) -> Bytes {
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in rows {
        if let Err(e) = writer.write_record(&row) {
            log::warn!("csv: {e}");
        }
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}

/// Queues the undoing of a finished import: created contacts go to the trash, updated ones
/// get their before-image back.
pub async fn revert(state: &AppState, actor: &Actor, id: String) -> ApiResult<ImportOut> {
    actor.require(permissions::IMPORTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let job = jobs::find(conn, &scope, &id, &[IMPORT_KIND])?.ok_or_else(|| ApiError::not_found("import"))?;
            let mut progress: Progress = serde_json::from_str(&job.progress).unwrap_or_default();
            let payload: ImportPayload = serde_json::from_str(&job.payload)?;
            if progress.revert_job_id.is_some() {
                return Err(ApiError::conflict("already_reverted", "This import was already reverted."));
            }
            if payload.options.dry_run {
                return Err(ApiError::conflict("dry_run", "A dry run changed nothing: there is nothing to revert."));
            }
            if job.status != jobs::SUCCEEDED {
                return Err(ApiError::conflict(
                    "import_not_finished",
                    format!("Only a finished import can be reverted; this one is {}.", job.status),
                ));
            }
            let total = model::count_changes(conn, &scope, &id)?;
            let revert_payload = serde_json::to_value(RevertPayload { import_id: id.clone() })?;
            let revert_progress =
                serde_json::to_value(RevertProgress { rows_total: total as u64, ..Default::default() })?;
            let revert_id = jobs::enqueue(conn, &actor, REVERT_KIND, &revert_payload, &revert_progress, MAX_ATTEMPTS)?;
            progress.revert_job_id = Some(revert_id);
            jobs::annotate(conn, &scope, &id, &serde_json::to_value(&progress)?)?;
            load(conn, &scope, &id)
        })
        .await
}
