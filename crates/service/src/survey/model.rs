//! Survey rows; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::{survey_invitations, survey_responses, surveys, ticket_ratings};

pub const RECORD_TYPE: &str = "survey";
pub const ID_PREFIX: &str = "srv";
pub const INVITATION_PREFIX: &str = "sinv";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = surveys)]
pub struct Survey {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub question: String,
    pub response_url: Option<String>,
    pub active: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_invitations)]
pub struct Invitation {
    pub id: String,
    pub survey_id: String,
    pub contact_id: String,
    pub ticket_id: Option<String>,
    pub responded_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
}

pub static SORTS: Sorts<Survey> = Sorts {
    default: "created_at",
    id_column: "surveys.id",
    id: |s| &s.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "surveys.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |s| Some(crm_core::time::format(&s.created_at)),
    }],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Survey>> {
    Ok(surveys::table
        .filter(surveys::org_id.eq(scope.org_id()))
        .filter(surveys::id.eq(id))
        .select(Survey::as_select())
        .first(conn)
        .optional()?)
}

/// The CSAT survey solved tickets get: the active one changed last.
pub fn active_csat(conn: &mut DbConnection, org_id: &str) -> ApiResult<Option<Survey>> {
    Ok(surveys::table
        .filter(surveys::org_id.eq(org_id))
        .filter(surveys::kind.eq("csat"))
        .filter(surveys::active.eq(1))
        .select(Survey::as_select())
        .order((surveys::updated_at.desc(), surveys::id.desc()))
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection, scope: &Scope, plan: &ListPlan) -> ApiResult<Vec<Survey>> {
    let mut query =
        surveys::table.filter(surveys::org_id.eq(scope.org_id().to_string())).select(Survey::as_select()).into_boxed();
    let (order, after) = SORTS.keyset::<surveys::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// What a survey's writes set (its kind only on insert).
pub struct SurveyFields<'a> {
    pub name: &'a str,
    pub question: &'a str,
    pub response_url: Option<&'a str>,
    pub active: bool,
}

/// Inserts (with its kind) or updates a survey.
pub fn save(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    kind: Option<&str>,
    f: &SurveyFields<'_>,
) -> ApiResult<()> {
    let now = crm_core::time::now();
    let mut set = vec![
        ("name", Piece::text(f.name)),
        ("question", Piece::text(f.question)),
        ("response_url", Piece::OptionalText(f.response_url.map(str::to_string))),
        ("active", Piece::BigInt(i64::from(f.active))),
        ("updated_at", Piece::Time(now)),
    ];
    match kind {
        None => {
            crm_core::sql::update_record("surveys", scope.org_id(), id, set).execute(conn)?;
        }
        Some(kind) => {
            set.extend([
                ("id", Piece::text(id)),
                ("org_id", Piece::text(scope.org_id())),
                ("kind", Piece::text(kind)),
                ("created_at", Piece::Time(now)),
            ]);
            Statement::new(crm_core::sql::insert_row("surveys", set)).execute(conn)?;
        }
    }
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(
        survey_responses::table
            .filter(survey_responses::org_id.eq(scope.org_id()))
            .filter(survey_responses::survey_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        survey_invitations::table
            .filter(survey_invitations::org_id.eq(scope.org_id()))
            .filter(survey_invitations::survey_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(surveys::table.filter(surveys::org_id.eq(scope.org_id())).filter(surveys::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

pub fn insert_invitation(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    survey_id: &str,
    contact_id: &str,
    ticket_id: Option<&str>,
    expires_at: NaiveDateTime,
) -> ApiResult<()> {
    diesel::insert_into(survey_invitations::table)
        .values((
            survey_invitations::id.eq(id),
            survey_invitations::org_id.eq(scope.org_id()),
            survey_invitations::survey_id.eq(survey_id),
            survey_invitations::contact_id.eq(contact_id),
            survey_invitations::ticket_id.eq(ticket_id),
            survey_invitations::expires_at.eq(expires_at),
            survey_invitations::created_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_invitation_mail(conn: &mut DbConnection, scope: &Scope, id: &str, mail_message_id: &str) -> ApiResult<()> {
    diesel::update(
        survey_invitations::table
            .filter(survey_invitations::org_id.eq(scope.org_id()))
            .filter(survey_invitations::id.eq(id)),
    )
    .set(survey_invitations::mail_message_id.eq(mail_message_id))
    .execute(conn)?;
    Ok(())
}

pub fn invitation(conn: &mut DbConnection, org_id: &str, id: &str) -> ApiResult<Option<Invitation>> {
    Ok(survey_invitations::table
        .filter(survey_invitations::org_id.eq(org_id))
        .filter(survey_invitations::id.eq(id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the ticket was invited to the survey already.
pub fn ticket_invited(conn: &mut DbConnection, org_id: &str, survey_id: &str, ticket_id: &str) -> ApiResult<bool> {
    let n: i64 = survey_invitations::table
        .filter(survey_invitations::org_id.eq(org_id))
        .filter(survey_invitations::survey_id.eq(survey_id))
        .filter(survey_invitations::ticket_id.eq(ticket_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Marks the invitation answered: whether this call did (it was open and not expired), so an
/// invitation is answered once however many answers race.
pub fn take_invitation(conn: &mut DbConnection, org_id: &str, id: &str) -> ApiResult<bool> {
    let now = crm_core::time::now();
    let taken = diesel::update(
        survey_invitations::table
            .filter(survey_invitations::org_id.eq(org_id))
            .filter(survey_invitations::id.eq(id))
            .filter(survey_invitations::responded_at.is_null())
            .filter(survey_invitations::expires_at.gt(now)),
    )
    .set(survey_invitations::responded_at.eq(now))
    .execute(conn)?;
    Ok(taken == 1)
}

pub fn insert_response(
    conn: &mut DbConnection,
    org_id: &str,
    invitation: &Invitation,
    score: i32,
    comment: Option<&str>,
) -> ApiResult<String> {
    let id = crm_core::id::new_id("sres");
    diesel::insert_into(survey_responses::table)
        .values((
            survey_responses::id.eq(&id),
            survey_responses::org_id.eq(org_id),
            survey_responses::survey_id.eq(&invitation.survey_id),
            survey_responses::invitation_id.eq(&invitation.id),
            survey_responses::contact_id.eq(&invitation.contact_id),
            survey_responses::score.eq(score),
            survey_responses::comment.eq(comment),
            survey_responses::created_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The NPS scores the survey got in the period.
pub fn nps_scores(
    conn: &mut DbConnection,
    scope: &Scope,
    survey_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> ApiResult<Vec<i32>> {
    Ok(survey_responses::table
        .filter(survey_responses::org_id.eq(scope.org_id()))
        .filter(survey_responses::survey_id.eq(survey_id))
        .filter(survey_responses::created_at.ge(from))
        .filter(survey_responses::created_at.lt(to))
        .select(survey_responses::score)
        .load(conn)?)
}

/// The CSAT ratings of tickets given (or last changed) in the period.
pub fn csat_scores(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> ApiResult<Vec<i32>> {
    Ok(ticket_ratings::table
        .filter(ticket_ratings::org_id.eq(scope.org_id()))
        .filter(ticket_ratings::updated_at.ge(from))
        .filter(ticket_ratings::updated_at.lt(to))
        .select(ticket_ratings::score)
        .load(conn)?)
}
