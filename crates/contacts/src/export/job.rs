//! The export job: pages through the matching contacts (keyset, 500 at a time) and writes
//! the CSV into file chunks. A retried export starts over with a new file.

use crm_core::files::FileWriter;
use crm_core::filter::SearchRequest;
use crm_core::http::Cursor;
use crm_core::jobs::{JobContext, JobError, JobResult};

use super::dto::{ExportIn, ExportProgress};
use super::model::{self, DEFAULT_COLUMNS};
use crate::contact::dto::ContactOut;
use crate::contact::model as contacts;

const PAGE: i64 = 500;

fn permanent(e: impl std::fmt::Display) -> JobError {
    JobError::Permanent(e.to_string())
}

fn io(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// The search request an export's filter and text make.
pub fn search_request(input: &ExportIn) -> Result<SearchRequest, serde_json::Error> {
    let filter = input.filter.clone().map(serde_json::from_value).transpose()?;
    Ok(SearchRequest { filter, query: input.query.clone(), ..Default::default() })
}

pub fn columns(input: &ExportIn) -> Vec<String> {
    input.columns.clone().unwrap_or_else(|| DEFAULT_COLUMNS.iter().map(|c| c.to_string()).collect())
}

/// The export job (`contacts.export`).
pub fn run_export(ctx: &JobContext) -> JobResult {
    let input: ExportIn = serde_json::from_value(ctx.payload.clone()).map_err(permanent)?;
    let request = search_request(&input).map_err(permanent)?;
    let columns = columns(&input);
    // An export holds what its requester sees.
    let scope = ctx.actor.scope();
    let mut progress: ExportProgress = serde_json::from_value(ctx.progress.clone()).unwrap_or_default();
    if let Some(old) = progress.file_id.take() {
        ctx.write(|conn| crm_core::files::model::delete(conn, &scope, &old))?;
    }
    let writer = FileWriter::create(&ctx.db, &scope, "export", &format!("{}.csv", ctx.id()), "text/csv")?;
    progress = ExportProgress { rows_written: 0, file_id: Some(writer.file_id.clone()), size_bytes: None };
    let snapshot = serde_json::to_value(&progress).map_err(permanent)?;
    ctx.write(|conn| ctx.checkpoint(conn, &snapshot))?;
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(&columns).map_err(io)?;
    let mut after: Option<Cursor> = None;
    loop {
        let plan = contacts::LISTING.walk(PAGE, after.clone())?;
        let mut rows = ctx.read(|conn| {
            let custom = crm_core::custom_fields::Schema::load(conn, &scope, contacts::RECORD_TYPE)?.filter_fields();
            let conditions = request.conditions(&contacts::LISTING.spec(&scope, &custom), contacts::TEXT_FIELDS)?;
            contacts::list(conn, &scope, &contacts::Filters::default(), conditions, &plan)
        })?;
        let has_more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        after = rows.last().map(|c| contacts::LISTING.after(&plan, c));
        for row in rows {
            let contact = ContactOut::from(row);
            csv.write_record(columns.iter().map(|c| model::value(&contact, c))).map_err(io)?;
            progress.rows_written += 1;
        }
        if ctx.is_lost() {
            return Err(JobError::LeaseLost);
        }
        let snapshot = serde_json::to_value(&progress).map_err(permanent)?;
        ctx.write(|conn| ctx.checkpoint(conn, &snapshot))?;
        if !has_more {
            break;
        }
    }
    let writer = csv.into_inner().map_err(|e| io(e.error()))?;
    let file_id = writer.finish()?;
    let file = ctx.read(|conn| crm_core::files::model::find(conn, &scope, &file_id))?;
    progress.size_bytes = file.map(|f| f.size_bytes);
    let done = serde_json::to_value(&progress).map_err(permanent)?;
    ctx.write(|conn| ctx.complete(conn, &done))
}
