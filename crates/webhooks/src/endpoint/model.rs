//! Endpoint rows; every query takes the organization, except the dispatcher's, which works
//! across organizations.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::events::model::TypePattern;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::signature::SigningKey;
use diesel::prelude::*;

use crate::schema::webhook_endpoints as endpoints;

pub const RECORD_TYPE: &str = "webhook_endpoint";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "whep";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = endpoints)]
pub struct Endpoint {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub rate_limit_per_second: Option<i32>,
    pub after_seq: i64,
    pub failing_since: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Endpoint {
    /// Its event types and groups (empty: every type).
    pub fn types(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    /// The keys that sign a delivery now: the secret, and the one it replaced while the
    /// rotation's overlap lasts.
    pub fn signing_keys(&self, now: NaiveDateTime) -> Vec<SigningKey> {
        let previous = self.previous_secret.as_deref().filter(|_| self.previous_secret_until.is_some_and(|u| u > now));
        std::iter::once(self.secret.as_str()).chain(previous).filter_map(SigningKey::parse).collect()
    }
}

/// Whether an event of `event_type` goes to an endpoint taking `types` (`contact.*` takes
/// every `contact.…` type; none: every type).
pub fn takes(types: &[String], event_type: &str) -> bool {
    types.is_empty() || types.iter().any(|t| TypePattern::of(t).matches(event_type))
}

/// What the API sets on an endpoint.
#[derive(Debug, Clone, PartialEq, AsChangeset, Insertable)]
#[diesel(table_name = endpoints, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct Fields {
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub rate_limit_per_second: Option<i32>,
}

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Endpoint>> {
    Ok(endpoints::table
        .filter(endpoints::org_id.eq(scope.org_id()))
        .filter(endpoints::id.eq(id))
        .select(Endpoint::as_select())
        .first(conn)
        .optional()?)
}

/// A new endpoint, starting after the organization's current last event (`after_seq`).
pub fn insert(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    fields: &Fields,
    secret: &str,
    after_seq: i64,
) -> ApiResult<()> {
    let now = crm_core::time::now();
    diesel::insert_into(endpoints::table)
        .values((
            endpoints::id.eq(id),
            endpoints::org_id.eq(scope.org_id()),
            fields,
            endpoints::secret.eq(secret),
            endpoints::after_seq.eq(after_seq),
            endpoints::created_at.eq(now),
            endpoints::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes the API's fields; `resume_after` moves the fan-out position (an endpoint enabled
/// again starts with what happens from then on).
pub fn update(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    fields: &Fields,
    resume_after: Option<i64>,
) -> ApiResult<()> {
    let target = endpoints::table.filter(endpoints::org_id.eq(scope.org_id())).filter(endpoints::id.eq(id));
    let now = crm_core::time::now();
    match resume_after {
        Some(seq) => diesel::update(target)
            .set((
                fields,
                endpoints::after_seq.eq(seq),
                endpoints::failing_since.eq(None::<NaiveDateTime>),
                endpoints::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target).set((fields, endpoints::updated_at.eq(now))).execute(conn)?,
    };
    Ok(())
}

/// Replaces the secret, keeping the one it replaces signing until `previous_until`. The old
/// secret is the row's own, moved in the same statement: two rotations at once each keep the
/// secret the other one set, never one read before it.
pub fn rotate(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    secret: &str,
    previous_until: NaiveDateTime,
) -> ApiResult<()> {
    diesel::update(endpoints::table.filter(endpoints::org_id.eq(scope.org_id())).filter(endpoints::id.eq(id)))
        .set((
            endpoints::secret.eq(secret),
            endpoints::previous_secret.eq(endpoints::secret.nullable()),
            endpoints::previous_secret_until.eq(previous_until),
            endpoints::updated_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stops delivery to an endpoint, saying why.
pub fn disable(conn: &mut DbConnection, scope: &Scope, id: &str, reason: &str) -> ApiResult<()> {
    diesel::update(endpoints::table.filter(endpoints::org_id.eq(scope.org_id())).filter(endpoints::id.eq(id)))
        .set((
            endpoints::enabled.eq(false),
            endpoints::disabled_reason.eq(reason),
            endpoints::updated_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes an endpoint with its deliveries and their attempts (by cascade: a dispatcher
/// recording an outcome meanwhile either finishes first or finds the delivery gone).
pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(endpoints::table.filter(endpoints::org_id.eq(scope.org_id())).filter(endpoints::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// What endpoints sort by.
pub static SORTS: Sorts<Endpoint> = Sorts {
    default: "created_at",
    id_column: "webhook_endpoints.id",
    id: |e| &e.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "webhook_endpoints.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |e| Some(crm_core::time::format(&e.created_at)),
    }],
};

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    enabled: Option<bool>,
    plan: &ListPlan,
) -> ApiResult<Vec<Endpoint>> {
    let mut query =
        endpoints::table.filter(endpoints::org_id.eq(scope.org_id())).select(Endpoint::as_select()).into_boxed();
    if let Some(enabled) = enabled {
        query = query.filter(endpoints::enabled.eq(enabled));
    }
    let (order, after) = SORTS.keyset::<endpoints::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Enabled endpoints of every organization (the dispatcher's fan-out).
pub fn enabled_everywhere(conn: &mut DbConnection) -> ApiResult<Vec<Endpoint>> {
    Ok(endpoints::table
        .filter(endpoints::enabled.eq(true))
        .order((endpoints::org_id, endpoints::id))
        .select(Endpoint::as_select())
        .load(conn)?)
}

/// Moves an endpoint's fan-out position from `from` to `to`; false when another process moved
/// it first (its transaction must then roll back, or events would fan out twice).
pub fn advance(conn: &mut DbConnection, org_id: &str, id: &str, from: i64, to: i64) -> ApiResult<bool> {
    let endpoint = endpoints::table.filter(endpoints::org_id.eq(org_id)).filter(endpoints::id.eq(id));
    let moved = diesel::update(endpoint.filter(endpoints::after_seq.eq(from)))
        .set(endpoints::after_seq.eq(to))
        .execute(conn)?;
    Ok(moved == 1)
}

/// Records that a delivery to the endpoint failed (`failing_since` starts) or succeeded (it ends).
pub fn note_outcome(
    conn: &mut DbConnection,
    org_id: &str,
    id: &str,
    succeeded: bool,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let target = endpoints::table.filter(endpoints::org_id.eq(org_id)).filter(endpoints::id.eq(id));
    if succeeded {
        diesel::update(target.filter(endpoints::failing_since.is_not_null()))
            .set(endpoints::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?;
    } else {
        diesel::update(target.filter(endpoints::failing_since.is_null()))
            .set(endpoints::failing_since.eq(now))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::takes;

    #[test]
    fn groups_take_their_types_only() {
        let types = vec!["contact.*".to_string(), "deal.won".to_string()];
        assert!(takes(&types, "contact.created") && takes(&types, "deal.won"));
        assert!(!takes(&types, "deal.lost") && !takes(&types, "contactx.created") && !takes(&types, "company.created"));
        assert!(takes(&[], "anything.happened"));
    }
}
