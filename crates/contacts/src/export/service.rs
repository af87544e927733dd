//! Export use cases: queue an export, show it, stream its CSV.

use actix_web::web::Bytes;
use crm_core::auth::{Action, Actor};
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::jobs::model::{self as jobs, Job};
use crm_core::state::AppState;
use futures_util::Stream;

use super::dto::{ExportIn, ExportOut, ExportProgress};
use super::job::{columns, search_request};
use super::model::{EXPORT_KIND, is_column};
use crate::contact::model as contacts;
use crate::permissions;

const MAX_ATTEMPTS: i32 = 3;

pub fn out(job: Job) -> ExportOut {
    let input: ExportIn = serde_json::from_str(&job.payload).unwrap_or_default();
    let progress: ExportProgress = serde_json::from_str(&job.progress).unwrap_or_default();
    let done = job.status == jobs::SUCCEEDED;
    ExportOut {
        download_url: done.then(|| format!("/v1/exports/{}/download", job.id)),
        id: job.id,
        status: job.status,
        columns: columns(&input),
        rows_written: progress.rows_written,
        size_bytes: if done { progress.size_bytes } else { None },
        error: job.last_error,
        created_at: job.created_at,
        finished_at: job.finished_at,
    }
}

/// Checks the columns and the filter (422 with pointers), then queues the export.
pub async fn create(state: &AppState, actor: &Actor, input: ExportIn) -> ApiResult<ExportOut> {
    actor.require(permissions::EXPORTS, Action::Write)?;
    actor.require(permissions::CONTACTS, Action::Read)?;
    let errors: Vec<FieldError> = input
        .columns
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, c)| !is_column(c))
        .map(|(i, c)| FieldError::new(format!("/columns/{i}"), "unknown_column", format!("{c:?} is not a column")))
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let request = search_request(&input)
        .map_err(|e| ApiError::invalid_field("/filter", "invalid_filter", format!("not a filter: {e}")))?;
    let payload = serde_json::to_value(&input)?;
    let progress = serde_json::to_value(ExportProgress::default())?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            // Checked against the organization's fields (custom ones too) before the job is queued.
            let custom =
                crm_core::custom_fields::Schema::load(conn, &actor.scope(), contacts::RECORD_TYPE)?.filter_fields();
            request.conditions::<crm_core::schema::contacts::table>(
                &contacts::LISTING.spec(&actor.scope(), &custom),
                contacts::TEXT_FIELDS,
            )?;
            let id = jobs::enqueue(conn, &actor, EXPORT_KIND, &payload, &progress, MAX_ATTEMPTS)?;
            jobs::find_any(conn, &actor.scope(), &id)?.map(out).ok_or_else(|| ApiError::internal("the job vanished"))
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<ExportOut> {
    actor.require(permissions::EXPORTS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            jobs::find(conn, &scope, &id, &[EXPORT_KIND])?.map(out).ok_or_else(|| ApiError::not_found("export"))
        })
        .await
}

/// The finished export's CSV as a stream of stored chunks, and its size.
pub async fn download(
    state: &AppState,
    actor: &Actor,
    id: String,
) -> ApiResult<(i64, impl Stream<Item = Result<Bytes, actix_web::Error>> + use<>)> {
    actor.require(permissions::EXPORTS, Action::Read)?;
    let scope = actor.scope();
    let org = scope.clone();
    let file = state
        .db
        .read(move |conn| {
            let job = jobs::find(conn, &org, &id, &[EXPORT_KIND])?.ok_or_else(|| ApiError::not_found("export"))?;
            if job.status != jobs::SUCCEEDED {
                return Err(ApiError::conflict(
                    "export_not_ready",
                    format!("The export is {}; download it once it succeeded.", job.status),
                ));
            }
            let progress: ExportProgress = serde_json::from_str(&job.progress)?;
            let file_id = progress.file_id.ok_or_else(|| ApiError::internal("export without a file"))?;
            crm_core::files::model::find(conn, &org, &file_id)?.ok_or_else(|| ApiError::internal("export file missing"))
        })
        .await?;
    Ok((file.size_bytes, crm_core::files::download_stream(state.db.clone(), scope, file.id, file.chunk_count)))
}
