//! Refresh tokens: stored as keyed hashes, grouped in families. Using a token consumes it;
//! presenting a consumed token again revokes its whole family (it was stolen or replayed).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::refresh_tokens;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    org_id: &str,
    user_id: &str,
    family_id: &str,
    hash: &str,
    expires_at: NaiveDateTime,
) -> ApiResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(crate::id::new_id("rt")),
            refresh_tokens::org_id.eq(org_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(hash),
            refresh_tokens::expires_at.eq(expires_at),
            refresh_tokens::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_hash(conn: &mut DbConnection, hash: &str) -> ApiResult<Option<RefreshToken>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token used; false when another request used it first.
pub fn consume(conn: &mut DbConnection, id: &str) -> ApiResult<bool> {
    let changed = diesel::update(refresh_tokens::table.find(id).filter(refresh_tokens::used_at.is_null()))
        .set(refresh_tokens::used_at.eq(Some(crate::time::now())))
        .execute(conn)?;
    Ok(changed == 1)
}

pub fn revoke_family(conn: &mut DbConnection, org_id: &str, family_id: &str) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::org_id.eq(org_id))
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(crate::time::now())))
    .execute(conn)?;
    Ok(())
}

/// Signs a user out everywhere.
pub fn revoke_user(conn: &mut DbConnection, org_id: &str, user_id: &str) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::org_id.eq(org_id))
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(crate::time::now())))
    .execute(conn)?;
    Ok(())
}
