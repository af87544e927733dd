//! Team rows, their members, and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::http::{ListPlan, SortField, SortKind, Sorts};
use crate::schema::{team_members, teams};
use crate::scope::Scope;

/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "team";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// What teams sort by.
pub static SORTS: Sorts<Team> = Sorts {
    default: "created_at",
    id_column: "teams.id",
    id: |t| &t.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "teams.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |t| Some(crate::time::format(&t.created_at)),
        },
        SortField {
            name: "name",
            column: "teams.name",
            kind: SortKind::Text,
            nullable: false,
            value: |t| Some(t.name.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Team>> {
    let org_id = scope.org_id();
    Ok(teams::table
        .filter(teams::org_id.eq(org_id))
        .filter(teams::id.eq(id))
        .select(Team::as_select())
        .first(conn)
        .optional()?)
}

/// The team of this name, other than `except`.
pub fn named(conn: &mut DbConnection, scope: &Scope, name: &str, except: &str) -> ApiResult<Option<String>> {
    let org_id = scope.org_id();
    Ok(teams::table
        .filter(teams::org_id.eq(org_id))
        .filter(teams::name.eq(name))
        .filter(teams::id.ne(except))
        .select(teams::id)
        .first(conn)
        .optional()?)
}

pub fn insert(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    name: &str,
    description: Option<&str>,
) -> ApiResult<()> {
    let org_id = scope.org_id();
    let now = crate::time::now();
    diesel::insert_into(teams::table)
        .values((
            teams::id.eq(id),
            teams::org_id.eq(org_id),
            teams::name.eq(name),
            teams::description.eq(description),
            teams::created_at.eq(now),
            teams::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes the fields; the write runner bumps the version.
pub fn update(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    name: &str,
    description: Option<&str>,
) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(teams::table.filter(teams::org_id.eq(org_id)).filter(teams::id.eq(id)))
        .set((teams::name.eq(name), teams::description.eq(description), teams::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::delete(team_members::table.filter(team_members::org_id.eq(org_id)).filter(team_members::team_id.eq(id)))
        .execute(conn)?;
    diesel::delete(teams::table.filter(teams::org_id.eq(org_id)).filter(teams::id.eq(id))).execute(conn)?;
    Ok(())
}

/// The members of each of these teams, in one query.
pub fn members_of(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: &[&str],
) -> ApiResult<std::collections::HashMap<String, Vec<String>>> {
    let org_id = scope.org_id();
    let rows: Vec<(String, String)> = team_members::table
        .filter(team_members::org_id.eq(org_id))
        .filter(team_members::team_id.eq_any(ids))
        .order((team_members::team_id.asc(), team_members::user_id.asc()))
        .select((team_members::team_id, team_members::user_id))
        .load(conn)?;
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (team, user) in rows {
        out.entry(team).or_default().push(user);
    }
    Ok(out)
}

/// Replaces the team's members.
pub fn set_members(conn: &mut DbConnection, scope: &Scope, id: &str, user_ids: &[String]) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::delete(team_members::table.filter(team_members::org_id.eq(org_id)).filter(team_members::team_id.eq(id)))
        .execute(conn)?;
    for user_id in user_ids {
        diesel::insert_into(team_members::table)
            .values((team_members::org_id.eq(org_id), team_members::team_id.eq(id), team_members::user_id.eq(user_id)))
            .execute(conn)?;
    }
    Ok(())
}

/// A page of the organization's teams, or of those `member_id` is in.
pub fn list(conn: &mut DbConnection, scope: &Scope, member_id: Option<&str>, plan: &ListPlan) -> ApiResult<Vec<Team>> {
    let org_id = scope.org_id();
    let mut query = teams::table.filter(teams::org_id.eq(org_id)).select(Team::as_select()).into_boxed();
    if let Some(member) = member_id {
        let of_member = team_members::table
            .filter(team_members::org_id.eq(org_id.to_string()))
            .filter(team_members::user_id.eq(member.to_string()))
            .select(team_members::team_id);
        query = query.filter(teams::id.eq_any(of_member));
    }
    let (order, after) = SORTS.keyset::<teams::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// The team's active members, by id: whom work can go to.
pub fn active_members(conn: &mut DbConnection, scope: &Scope, team_id: &str) -> ApiResult<Vec<String>> {
    let mut members = members_of(conn, scope, &[team_id])?.remove(team_id).unwrap_or_default();
    let active = crate::users::model::active_among(conn, scope, &members)?;
    members.retain(|user| active.contains(user));
    Ok(members)
}

/// Round robin: the member after `last` in id order (the first after the last one).
pub fn next_in_turn(members: &[String], last: Option<&str>) -> Option<String> {
    members.iter().find(|user| last.is_none_or(|l| user.as_str() > l)).or(members.first()).cloned()
}

/// The member with the least work (`loads`: what each has; none is 0), the lowest id on a tie.
pub fn least_loaded(members: &[String], loads: &[(Option<String>, i64)]) -> Option<String> {
    let load_of = |user: &str| loads.iter().find(|(o, _)| o.as_deref() == Some(user)).map_or(0, |(_, n)| *n);
    members.iter().min_by_key(|user| (load_of(user), (*user).clone())).cloned()
}

#[cfg(test)]
mod picks {
    use super::{least_loaded, next_in_turn};

    #[test]
    fn turns_go_round_and_the_least_loaded_takes() {
        let members = ["usr_a".to_string(), "usr_b".into(), "usr_c".into()];
        assert_eq!(next_in_turn(&members, None).as_deref(), Some("usr_a"));
        assert_eq!(next_in_turn(&members, Some("usr_a")).as_deref(), Some("usr_b"));
        assert_eq!(next_in_turn(&members, Some("usr_c")).as_deref(), Some("usr_a"));
        assert_eq!(next_in_turn(&members, Some("usr_gone")).as_deref(), Some("usr_a"));
        assert_eq!(next_in_turn(&[], None), None);
        let loads = [(Some("usr_a".to_string()), 3), (Some("usr_b".to_string()), 1), (None, 9)];
        assert_eq!(least_loaded(&members, &loads).as_deref(), Some("usr_c"));
        assert_eq!(least_loaded(&members[..2], &loads).as_deref(), Some("usr_b"));
    }
}
