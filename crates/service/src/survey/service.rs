//! Survey use cases. An invitation and its e-mail are written in one transaction; its link
//! carries a token signed by the deployment (`Keys::sign_link`: the organization and the
//! invitation), so answering needs no login, and the invitation is taken once.

use chrono::Duration;
use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::config::Config;
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page};
use crm_core::mail::{self, Outgoing};
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};
use diesel::RunQueryDsl;

use super::dto::{
    InvitationOut, ResponseIn, ResponseOut, ResultsOut, ResultsQuery, SendIn, SendOut, SurveyIn, SurveyKind, SurveyOut,
    SurveyPatch, SurveysQuery,
};
use super::model::{self, Invitation, RECORD_TYPE, Survey, SurveyFields};
use crate::permissions;

/// The job that e-mails a solved ticket's requester the active CSAT survey.
pub const CSAT_KIND: &str = "service.csat_invite";
/// How long an invitation can be answered.
const INVITATION_LIFETIME: Duration = Duration::days(30);
/// The advisory lock space of the tickets' CSAT invitations (`crm_core::sql::hold_key`).
const INVITATION_LOCKS: i32 = 7263023;
/// The most contacts one send reaches.
const MAX_SEND: usize = 1000;

const SURVEYS: Versioned<SurveyOut> = Versioned {
    table: "surveys",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |s| s.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<SurveyOut> {
    model::find(conn, scope, id)?.map(SurveyOut::from).ok_or_else(|| ApiError::not_found("survey"))
}

fn default_question(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Csat => "How would you rate the support you received?",
        SurveyKind::Nps => "How likely are you to recommend us to a friend or colleague?",
    }
}

/// The survey's text fields, checked: name, question, response URL.
fn checked(name: &str, question: &str, url: Option<&str>) -> ApiResult<(String, String, Option<String>)> {
    let (name, question) = (name.trim().to_string(), question.trim().to_string());
    if name.is_empty() {
        return Err(ApiError::invalid_field("/name", "required", "a survey needs a name"));
    }
    if question.is_empty() {
        return Err(ApiError::invalid_field("/question", "required", "a survey asks a question"));
    }
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    if let Some(url) = url
        && (!(url.starts_with("https://") || url.starts_with("http://")) || !url.contains("{token}"))
    {
        return Err(ApiError::invalid_field("/response_url", "invalid_url", "an http(s) URL holding {token}"));
    }
    Ok((name, question, url.map(str::to_string)))
}

pub async fn create(state: &AppState, actor: &Actor, input: SurveyIn) -> ApiResult<SurveyOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let question = input.question.clone().unwrap_or_else(|| default_question(input.kind).to_string());
    let (name, question, url) = checked(&input.name, &question, input.response_url.as_deref())?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let id = crm_core::id::new_id(model::ID_PREFIX);
            let active = input.active.unwrap_or(true);
            let fields = SurveyFields { name: &name, question: &question, response_url: url.as_deref(), active };
            model::save(conn, &actor.scope(), &id, Some(input.kind.as_str()), &fields)?;
            SURVEYS.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<SurveyOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: SurveysQuery) -> ApiResult<Page<SurveyOut>> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &for_query)).await?;
    Ok(page(rows, &plan, |s| model::SORTS.position(&plan, s), SurveyOut::from))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: SurveyPatch,
    if_match: Option<i64>,
) -> ApiResult<SurveyOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    if patch.name == Patch::Null || patch.question == Patch::Null || patch.active == Patch::Null {
        return Err(ApiError::invalid_field("/name", "required", "name, question and active cannot be null"));
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            SURVEYS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let (mut name, mut question, mut url, mut active) =
                    (before.name.clone(), before.question.clone(), before.response_url.clone(), before.active);
                if let Patch::Value(v) = patch.name {
                    name = v;
                }
                if let Patch::Value(v) = patch.question {
                    question = v;
                }
                patch.response_url.apply_to(&mut url);
                if let Patch::Value(v) = patch.active {
                    active = v;
                }
                let (name, question, url) = checked(&name, &question, url.as_deref())?;
                if name == before.name
                    && question == before.question
                    && url == before.response_url
                    && active == before.active
                {
                    return Ok(Edit::Unchanged);
                }
                let fields = SurveyFields { name: &name, question: &question, response_url: url.as_deref(), active };
                model::save(conn, &actor.scope(), &id, None, &fields)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            SURVEYS.delete(conn, &actor, &id, if_match, |conn, _| model::delete(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}

/// Invites the contact to the survey: the invitation and its e-mail, on the caller's
/// connection. `None` when the contact has no e-mail address or was erased.
fn invite(
    conn: &mut DbConnection,
    keys: &Keys,
    config: &Config,
    actor: &Actor,
    survey: &Survey,
    contact_id: &str,
    ticket: Option<&crate::ticket::model::Ticket>,
) -> ApiResult<Option<String>> {
    let scope = actor.scope();
    let Some(contact) = crm_contacts::contact::model::find(conn, &scope.unrestricted(), contact_id)? else {
        return Ok(None);
    };
    let Some(email) = contact.email else { return Ok(None) };
    if crm_core::privacy::is_erased(conn, keys, &scope, &email)? {
        return Ok(None);
    }
    let id = crm_core::id::new_id(model::INVITATION_PREFIX);
    let expires_at = crm_core::time::now() + INVITATION_LIFETIME;
    model::insert_invitation(conn, &scope, &id, &survey.id, contact_id, ticket.map(|t| t.id.as_str()), expires_at)?;
    let token = keys.sign_link(&[scope.org_id(), &id]);
    let link = match &survey.response_url {
        Some(url) => url.replace("{token}", &token),
        None => format!("POST /v1/public/surveys/{token}/responses"),
    };
    let kind = if survey.kind == "nps" { SurveyKind::Nps } else { SurveyKind::Csat };
    let (min, max) = kind.scale();
    let (subject, about) = match ticket {
        Some(t) => (
            format!("How did we do? [#{}] {}", t.number, t.subject),
            format!("Your request \"{}\" was solved.\n\n", t.subject),
        ),
        None => (survey.name.clone(), String::new()),
    };
    let outgoing = Outgoing {
        to: vec![email],
        subject,
        text: format!("{about}{}\n\nAnswer from {min} to {max}: {link}\n", survey.question),
        record: Some(match ticket {
            Some(t) => ("ticket".to_string(), t.id.clone()),
            None => ("contact".to_string(), contact_id.to_string()),
        }),
        ..Default::default()
    };
    let message = mail::queue(conn, keys, actor, config, outgoing)?;
    model::set_invitation_mail(conn, &scope, &id, &message.id)?;
    Ok(Some(id))
}

/// Sends an NPS survey to contacts (at most 1,000 a call).
pub async fn send(state: &AppState, actor: &Actor, id: String, input: SendIn) -> ApiResult<SendOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    actor.require(crm_contacts::permissions::CONTACTS, Action::Read)?;
    let (actor, keys, config) = (actor.clone(), state.keys.clone(), state.config.clone());
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let survey = model::find(conn, &scope, &id)?.ok_or_else(|| ApiError::not_found("survey"))?;
            if survey.kind != "nps" {
                return Err(ApiError::conflict(
                    "not_sendable",
                    "A CSAT survey goes out by itself when tickets are solved.",
                ));
            }
            let contacts = match (input.contact_ids, input.filter) {
                (Some(ids), None) => {
                    for (i, id) in ids.iter().enumerate() {
                        if crm_contacts::contact::model::find(conn, &scope, id)?.is_none() {
                            return Err(ApiError::invalid_field(
                                &format!("/contact_ids/{i}"),
                                "unknown_contact",
                                "must be a contact you can see",
                            ));
                        }
                    }
                    ids
                }
                (None, Some(filter)) => matching_contacts(conn, &scope, filter)?,
                _ => {
                    return Err(ApiError::invalid_field(
                        "/contact_ids",
                        "required",
                        "give contact_ids or a filter, not both",
                    ));
                }
            };
            let (mut invited, mut skipped) = (0, 0);
            for contact in &contacts {
                match invite(conn, &keys, &config, &actor, &survey, contact, None)? {
                    Some(_) => invited += 1,
                    None => skipped += 1,
                }
            }
            Ok(SendOut { invited, skipped })
        })
        .await
}

/// The contacts a filter of the filter language matches, through crm-contacts' own listing
/// (422 when more than [`MAX_SEND`] do).
fn matching_contacts(conn: &mut DbConnection, scope: &Scope, filter: serde_json::Value) -> ApiResult<Vec<String>> {
    let parsed: crm_core::filter::Filter = serde_json::from_value(filter)
        .map_err(|_| ApiError::invalid_field("/filter", "invalid_filter", "must be a filter of the filter language"))?;
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let paging = crm_core::http::ListQuery { limit: Some(200), cursor, sort: None };
        let request = crm_core::filter::SearchRequest::of_list(Some(parsed.clone()), paging);
        let filters = crm_contacts::contact::model::Filters::default();
        let page = crm_contacts::contact::model::LISTING.page(
            conn,
            scope,
            &request,
            |conn, conditions, plan| crm_contacts::contact::model::list(conn, scope, &filters, conditions, plan),
            |_, c| c.id,
        )?;
        ids.extend(page.data);
        if ids.len() > MAX_SEND {
            return Err(ApiError::invalid_field(
                "/filter",
                "too_many_contacts",
                "more than 1,000 match: send in parts",
            ));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(ids),
        }
    }
}

/// Queues the CSAT invitation of a ticket just solved, when the organization has an active
/// CSAT survey: in the solving transaction, so the invitation goes if and only if it commits.
pub(crate) fn queue_csat(conn: &mut DbConnection, actor: &Actor, ticket_id: &str) -> ApiResult<()> {
    if model::active_csat(conn, &actor.org_id)?.is_none() {
        return Ok(());
    }
    let payload = serde_json::json!({ "ticket_id": ticket_id });
    crm_core::jobs::model::enqueue(conn, actor, CSAT_KIND, &payload, &serde_json::json!({}), 5)?;
    Ok(())
}

/// The CSAT invitation job: the ticket still solved, not invited yet, its requester with an
/// address (a rerun after a crash invites no one twice).
pub fn run_csat(ctx: &crm_core::jobs::JobContext) -> Result<(), crm_core::jobs::JobError> {
    let ticket_id = ctx.payload["ticket_id"].as_str().unwrap_or_default().to_string();
    let (keys, config) = (ctx.state.keys.clone(), ctx.state.config.clone());
    ctx.write(|conn| {
        let org_id = ctx.actor.org_id.clone();
        // Two runs for one ticket (solved, reopened, solved again) check and invite in turn.
        crm_core::sql::hold_key(conn, INVITATION_LOCKS, &format!("{org_id}/{ticket_id}"))?;
        let Some(survey) = model::active_csat(conn, &org_id)? else { return Ok(()) };
        let everything = ctx.actor.scope().unrestricted();
        let Some(ticket) = crate::ticket::model::find(conn, &everything, &ticket_id)? else { return Ok(()) };
        if !matches!(ticket.status.as_str(), "solved" | "closed")
            || model::ticket_invited(conn, &org_id, &survey.id, &ticket_id)?
        {
            return Ok(());
        }
        let Some(requester) = ticket.requester_id.clone() else { return Ok(()) };
        invite(conn, &keys, &config, &ctx.actor, &survey, &requester, Some(&ticket))?;
        Ok(())
    })?;
    Ok(())
}

/// Records a rating of a ticket (CSAT), replacing its last (`survey.response_received`).
pub(crate) fn record_rating(
    conn: &mut DbConnection,
    actor: &Actor,
    ticket_id: &str,
    contact_id: &str,
    score: i32,
    comment: Option<String>,
    survey_id: Option<&str>,
) -> ApiResult<ResponseOut> {
    let now = crm_core::time::now();
    let comment = comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let mut pieces = crm_core::sql::insert_row(
        "ticket_ratings",
        vec![
            ("org_id", Piece::text(&actor.org_id)),
            ("ticket_id", Piece::text(ticket_id)),
            ("contact_id", Piece::text(contact_id)),
            ("score", Piece::BigInt(i64::from(score))),
            ("comment", Piece::OptionalText(comment.clone())),
            ("created_at", Piece::Time(now)),
            ("updated_at", Piece::Time(now)),
        ],
    );
    pieces.push(Piece::Sql(
        " ON CONFLICT (org_id, ticket_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, \
         contact_id = excluded.contact_id, updated_at = excluded.updated_at"
            .into(),
    ));
    Statement::new(pieces).execute(conn)?;
    let response = ResponseOut {
        id: ticket_id.to_string(),
        kind: SurveyKind::Csat,
        survey_id: survey_id.map(str::to_string),
        ticket_id: Some(ticket_id.to_string()),
        contact_id: contact_id.to_string(),
        score,
        comment,
        updated_at: now,
    };
    received(conn, actor, &response)?;
    let company =
        crate::ticket::model::find(conn, &actor.scope().unrestricted(), ticket_id)?.and_then(|t| t.company_id);
    if let Some(company) = company {
        crate::health::service::queue(conn, actor, &company)?;
    }
    Ok(response)
}

fn received(conn: &mut DbConnection, actor: &Actor, response: &ResponseOut) -> ApiResult<()> {
    let after = serde_json::to_value(response)?;
    let change = Change {
        resource: RECORD_TYPE,
        id: &response.id,
        action: "response_received",
        before: None,
        after: Some(&after),
    };
    change::record(conn, actor, change)
}

/// The invitation a link token names, with its survey (404 for a token not signed here).
fn invitation_of(conn: &mut DbConnection, keys: &Keys, token: &str) -> ApiResult<(String, Invitation, Survey)> {
    let parts = keys.verify_link(token, 2).ok_or_else(|| ApiError::not_found("survey invitation"))?;
    let (org_id, id) = (&parts[0], &parts[1]);
    let invitation = model::invitation(conn, org_id, id)?.ok_or_else(|| ApiError::not_found("survey invitation"))?;
    let scope = crm_core::jobs::schedule::system_actor(org_id).scope();
    let survey =
        model::find(conn, &scope, &invitation.survey_id)?.ok_or_else(|| ApiError::not_found("survey invitation"))?;
    Ok((org_id.clone(), invitation, survey))
}

/// What the person answering sees.
pub async fn invitation(state: &AppState, token: String) -> ApiResult<InvitationOut> {
    let keys = state.keys.clone();
    state
        .db
        .read(move |conn| {
            let (org_id, invitation, survey) = invitation_of(conn, &keys, &token)?;
            let kind = SurveyOut::from(survey.clone()).kind;
            let (min, max) = kind.scale();
            let scope = crm_core::jobs::schedule::system_actor(&org_id).scope();
            let ticket_subject = match &invitation.ticket_id {
                Some(id) => crate::ticket::model::find(conn, &scope, id)?.map(|t| t.subject),
                None => None,
            };
            Ok(InvitationOut {
                kind,
                question: survey.question,
                min,
                max,
                ticket_subject,
                answered: invitation.responded_at.is_some(),
            })
        })
        .await
}

/// Answers an invitation, once (409 when answered or expired).
pub async fn respond(state: &AppState, token: String, input: ResponseIn) -> ApiResult<ResponseOut> {
    let keys = state.keys.clone();
    state
        .db
        .write(move |conn| {
            let (org_id, invitation, survey) = invitation_of(conn, &keys, &token)?;
            let kind = SurveyOut::from(survey.clone()).kind;
            let (min, max) = kind.scale();
            if !(min..=max).contains(&input.score) {
                return Err(ApiError::invalid_field("/score", "out_of_range", format!("from {min} to {max}")));
            }
            if !model::take_invitation(conn, &org_id, &invitation.id)? {
                return Err(ApiError::conflict(
                    "invitation_closed",
                    "This invitation was answered already, or expired.",
                ));
            }
            let actor = crm_core::jobs::schedule::system_actor(&org_id);
            match (kind, &invitation.ticket_id) {
                (SurveyKind::Csat, Some(ticket)) => record_rating(
                    conn,
                    &actor,
                    ticket,
                    &invitation.contact_id,
                    input.score,
                    input.comment,
                    Some(&survey.id),
                ),
                _ => {
                    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
                    let id = model::insert_response(conn, &org_id, &invitation, input.score, comment.as_deref())?;
                    let response = ResponseOut {
                        id,
                        kind,
                        survey_id: Some(survey.id),
                        ticket_id: None,
                        contact_id: invitation.contact_id,
                        score: input.score,
                        comment,
                        updated_at: crm_core::time::now(),
                    };
                    received(conn, &actor, &response)?;
                    Ok(response)
                }
            }
        })
        .await
}

/// A survey's scores over a period.
pub async fn results(state: &AppState, actor: &Actor, id: String, query: ResultsQuery) -> ApiResult<ResultsOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let (from, to) = crate::kpi::service::period(query.from, query.to)?;
    let scope = actor.scope();
    let (start, end) = (from.and_hms_opt(0, 0, 0).unwrap_or_default(), to.and_hms_opt(0, 0, 0).unwrap_or_default());
    let (survey, scores) = state
        .db
        .read(move |conn| {
            let survey = load(conn, &scope, &id)?;
            let scores = match survey.kind {
                SurveyKind::Csat => model::csat_scores(conn, &scope, start, end)?,
                SurveyKind::Nps => model::nps_scores(conn, &scope, &survey.id, start, end)?,
            };
            Ok((survey, scores))
        })
        .await?;
    let n = scores.len() as i64;
    let percent = |part: i64| (n > 0).then(|| (part as f64 * 1000.0 / n as f64).round() / 10.0);
    let average = (n > 0).then(|| (scores.iter().map(|s| f64::from(*s)).sum::<f64>() / n as f64 * 10.0).round() / 10.0);
    let count = |range: std::ops::RangeInclusive<i32>| scores.iter().filter(|s| range.contains(s)).count() as i64;
    let mut out = ResultsOut {
        survey_id: survey.id,
        kind: survey.kind,
        from: from.to_string(),
        to: to.to_string(),
        responses: n,
        average,
        csat: None,
        promoters: None,
        passives: None,
        detractors: None,
        nps: None,
    };
    match survey.kind {
        SurveyKind::Csat => out.csat = percent(count(4..=5)),
        SurveyKind::Nps => {
            let (promoters, detractors) = (count(9..=10), count(0..=6));
            (out.promoters, out.passives, out.detractors) = (Some(promoters), Some(count(7..=8)), Some(detractors));
            out.nps = (n > 0).then(|| ((promoters - detractors) as f64 * 1000.0 / n as f64).round() / 10.0);
        }
    }
    Ok(out)
}
