//! What an erasure leaves behind: the keyed hash of an erased person's e-mail
//! (`erased_emails`), so they are never written to again — outbound mail refuses them, and
//! contacts never quietly brings them back.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::secrets::Keys;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::erased_emails;
use crate::scope::Scope;

/// Whether `email` belonged to a contact of the organization who was erased.
pub fn is_erased(conn: &mut DbConnection, keys: &Keys, scope: &Scope, email: &str) -> ApiResult<bool> {
    let org_id = scope.org_id();
    let hash = keys.hash_erased_email(email);
    Ok(erased_emails::table
        .find((org_id, hash))
        .select(erased_emails::erased_at)
        .first::<NaiveDateTime>(conn)
        .optional()?
        .is_some())
}

/// Which of `emails` belonged to erased contacts of the organization.
pub fn erased_among(conn: &mut DbConnection, keys: &Keys, scope: &Scope, emails: &[&str]) -> ApiResult<Vec<String>> {
    let hashes: HashMap<String, &str> = emails.iter().map(|e| (keys.hash_erased_email(e), *e)).collect();
    let wanted: Vec<&String> = hashes.keys().collect();
    let mut erased = Vec::new();
    for chunk in wanted.chunks(crate::db::rows_per_statement(1)) {
        let found: Vec<String> = erased_emails::table
            .filter(erased_emails::org_id.eq(scope.org_id()))
            .filter(erased_emails::email_hash.eq_any(chunk))
            .select(erased_emails::email_hash)
            .load(conn)?;
        erased.extend(found.iter().filter_map(|h| hashes.get(h)).map(|e| e.to_string()));
    }
    Ok(erased)
}
