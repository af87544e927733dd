//! File and chunk rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::{file_chunks, files};
use crate::scope::Scope;

pub const WRITING: &str = "writing";
pub const COMPLETE: &str = "complete";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = files)]
pub struct FileRow {
    pub id: String,
    pub org_id: String,
    pub purpose: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub chunk_count: i32,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}

/// A new, empty file being written.
pub fn new_file(
    conn: &mut DbConnection,
    scope: &Scope,
    purpose: &str,
    filename: &str,
    content_type: &str,
) -> ApiResult<String> {
    let org_id = scope.org_id();
    let id = crate::id::new_id("file");
    diesel::insert_into(files::table)
        .values((
            files::id.eq(&id),
            files::org_id.eq(org_id),
            files::purpose.eq(purpose),
            files::filename.eq(filename),
            files::content_type.eq(content_type),
            files::size_bytes.eq(0i64),
            files::chunk_count.eq(0),
            files::status.eq(WRITING),
            files::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn append_chunk(conn: &mut DbConnection, scope: &Scope, file_id: &str, seq: i32, data: &[u8]) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::insert_into(file_chunks::table)
        .values((
            file_chunks::org_id.eq(org_id),
            file_chunks::file_id.eq(file_id),
            file_chunks::seq.eq(seq),
            file_chunks::data.eq(data),
        ))
        .execute(conn)?;
    diesel::update(files::table.filter(files::org_id.eq(org_id)).filter(files::id.eq(file_id)))
        .set((files::size_bytes.eq(files::size_bytes + data.len() as i64), files::chunk_count.eq(seq + 1)))
        .execute(conn)?;
    Ok(())
}

pub fn complete(conn: &mut DbConnection, scope: &Scope, file_id: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(files::table.filter(files::org_id.eq(org_id)).filter(files::id.eq(file_id)))
        .set((files::status.eq(COMPLETE), files::completed_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<FileRow>> {
    let org_id = scope.org_id();
    Ok(files::table
        .filter(files::org_id.eq(org_id))
        .filter(files::id.eq(id))
        .select(FileRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn chunk(conn: &mut DbConnection, scope: &Scope, file_id: &str, seq: i32) -> ApiResult<Option<Vec<u8>>> {
    let org_id = scope.org_id();
    Ok(file_chunks::table
        .filter(file_chunks::org_id.eq(org_id))
        .filter(file_chunks::file_id.eq(file_id))
        .filter(file_chunks::seq.eq(seq))
        .select(file_chunks::data)
        .first(conn)
        .optional()?)
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::delete(file_chunks::table.filter(file_chunks::org_id.eq(org_id)).filter(file_chunks::file_id.eq(id)))
        .execute(conn)?;
    diesel::delete(files::table.filter(files::org_id.eq(org_id)).filter(files::id.eq(id))).execute(conn)?;
    Ok(())
}

/// The hourly job deleting abandoned uploads.
pub const PURGE_KIND: &str = "files.purge_abandoned";

/// Deletes files still being written a day after they were started (uploads cut off by a
/// crash or a dropped connection). Returns how many.
pub fn purge_abandoned(conn: &mut DbConnection, scope: &Scope) -> ApiResult<usize> {
    let org_id = scope.org_id();
    let cutoff = crate::time::now() - chrono::Duration::hours(24);
    let abandoned: Vec<String> = files::table
        .filter(files::org_id.eq(org_id))
        .filter(files::status.eq(WRITING))
        .filter(files::created_at.lt(cutoff))
        .select(files::id)
        .load(conn)?;
    for id in &abandoned {
        delete(conn, scope, id)?;
    }
    Ok(abandoned.len())
}
