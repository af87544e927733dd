//! The sales domain's part of erasing a contact ([`crm_core::privacy::Eraser`]): the leads that
//! were the same person (one of their e-mail addresses, or converted into them) are anonymized
//! as the contact is: name, e-mail, phone, job title, tags, external ids and custom fields go,
//! and the qualification notes lose what names them. The lead stays, for the funnel's counts.

use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::privacy::{Erasure, Scrubbed, scrub_text};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::lead::model::{Lead, RECORD_TYPE};
use crate::lead::service::LEADS;
use crate::schema::leads;

/// The last name an erased lead keeps.
const ERASED_NAME: &str = "Erased lead";

pub fn erase(conn: &mut DbConnection, scope: &Scope, erasure: &Erasure<'_>) -> ApiResult<Vec<Scrubbed>> {
    let mut ids: Vec<String> = leads::table
        .filter(leads::org_id.eq(scope.org_id()))
        .filter(leads::email.eq_any(erasure.emails))
        .select(leads::id)
        .load(conn)?;
    ids.extend(
        leads::table
            .filter(leads::org_id.eq(scope.org_id()))
            .filter(crm_core::privacy::mentions_any::<leads::table>("converted_to", &[erasure.contact_id.to_string()]))
            .select(leads::id)
            .load::<String>(conn)?,
    );
    ids.sort();
    ids.dedup();
    // Locked before they are read, so that a concurrent edit is neither lost nor left unscrubbed.
    LEADS.lock_many(conn, scope, &ids.iter().map(String::as_str).collect::<Vec<_>>())?;
    let theirs: Vec<Lead> = leads::table
        .filter(leads::org_id.eq(scope.org_id()))
        .filter(leads::id.eq_any(&ids))
        .select(Lead::as_select())
        .load(conn)?;
    let scrub = |text: &Option<String>| Piece::OptionalText(text.as_deref().map(|t| scrub_text(t, erasure.needles)));
    for lead in &theirs {
        let set = vec![
            ("first_name", Piece::OptionalText(None)),
            ("last_name", Piece::text(ERASED_NAME)),
            ("sort_name", Piece::Text(ERASED_NAME.to_lowercase())),
            ("email", Piece::OptionalText(None)),
            ("phone", Piece::OptionalText(None)),
            ("job_title", Piece::OptionalText(None)),
            ("authority", scrub(&lead.authority)),
            ("need", scrub(&lead.need)),
            ("timeline", scrub(&lead.timeline)),
            ("disqualified_reason", scrub(&lead.disqualified_reason)),
            ("tags", Piece::text("[]")),
            ("external_ids", Piece::text("{}")),
            ("custom", Piece::text("{}")),
            ("updated_at", Piece::Time(crm_core::time::now())),
        ];
        LEADS.save::<Lead>(conn, scope, &lead.id, set)?;
        crm_core::records::set_tags(conn, scope, RECORD_TYPE, &lead.id, &[])?;
        crm_core::records::set_external_ids(conn, scope, RECORD_TYPE, &lead.id, &Default::default())?;
        crm_core::custom_fields::model::set_values(conn, scope, RECORD_TYPE, &lead.id, &[])?;
        crm_core::search_index::remove(conn, scope, &lead.id)?;
    }
    Ok(vec![Scrubbed { record_type: RECORD_TYPE, ids: theirs.into_iter().map(|lead| lead.id).collect() }])
}
