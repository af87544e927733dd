//! What each import row did (`import_rows`), and the job kinds of this module.

use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::schema::import_rows;
use crm_core::scope::Scope;
use diesel::prelude::*;

pub const IMPORT_KIND: &str = "contacts.import";
pub const REVERT_KIND: &str = "contacts.import_revert";
pub const RECORD_TYPE: &str = "import";

pub const CREATED: &str = "created";
pub const UPDATED: &str = "updated";
pub const FAILED: &str = "failed";

/// A row's record: the contact it created or updated (with the before-image), or why it failed.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_rows, treat_none_as_default_value = false)]
pub struct ImportRow {
    pub org_id: String,
    pub job_id: String,
    pub row_number: i64,
    pub outcome: String,
    pub contact_id: Option<String>,
    pub before: Option<String>,
    pub reason: Option<String>,
    pub raw: Option<String>,
}

pub fn insert(conn: &mut DbConnection, rows: &[ImportRow]) -> ApiResult<()> {
    crm_core::insert_rows!(conn, import_rows::table, rows, 8)?;
    Ok(())
}

/// Failed rows after `after`, in row order.
pub fn failed_after(
    conn: &mut DbConnection,
    scope: &Scope,
    job_id: &str,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<ImportRow>> {
    let org_id = scope.org_id();
    Ok(import_rows::table
        .filter(import_rows::org_id.eq(org_id))
        .filter(import_rows::job_id.eq(job_id))
        .filter(import_rows::outcome.eq(FAILED))
        .filter(import_rows::row_number.gt(after))
        .order(import_rows::row_number.asc())
        .limit(limit)
        .select(ImportRow::as_select())
        .load(conn)?)
}

/// Created and updated rows before `before`, last first (the order a revert undoes them in).
pub fn changes_before(
    conn: &mut DbConnection,
    scope: &Scope,
    job_id: &str,
    before: i64,
    limit: i64,
) -> ApiResult<Vec<ImportRow>> {
    let org_id = scope.org_id();
    Ok(import_rows::table
        .filter(import_rows::org_id.eq(org_id))
        .filter(import_rows::job_id.eq(job_id))
        .filter(import_rows::outcome.eq_any([CREATED, UPDATED]))
        .filter(import_rows::row_number.lt(before))
        .order(import_rows::row_number.desc())
        .limit(limit)
        .select(ImportRow::as_select())
        .load(conn)?)
}

pub fn count_changes(conn: &mut DbConnection, scope: &Scope, job_id: &str) -> ApiResult<i64> {
    let org_id = scope.org_id();
    Ok(import_rows::table
        .filter(import_rows::org_id.eq(org_id))
        .filter(import_rows::job_id.eq(job_id))
        .filter(import_rows::outcome.eq_any([CREATED, UPDATED]))
        .count()
        .get_result(conn)?)
}
