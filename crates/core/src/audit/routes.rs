//! `GET /v1/audit-log`.

use actix_web::{HttpResponse, get, web};

use super::dto::{AuditEntryOut, AuditQuery};
use super::model::{self, Filters};
use crate::auth::{Action, Actor, Resource};
use crate::error::{ApiResult, Problem};
use crate::http::{Page, page};
use crate::state::AppState;

/// List audit-log entries
///
/// Every change in the organization: who, when, which record, each field before and after.
#[utoipa::path(
    operation_id = "list_audit_log_entries", tag = "Audit log", params(AuditQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries, newest first by default", body = Page<AuditEntryOut>),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-log")]
pub async fn list_audit_log_entries(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    actor.require(Resource::AUDIT_LOG, Action::Read)?;
    let query = query.into_inner();
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters {
        resource_type: query.resource_type,
        resource_id: query.resource_id,
        actor_id: query.actor_id,
        action: query.action,
        resource_ids: None,
    };
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &filters, &for_query)).await?;
    let page = page(rows, &plan, |e| model::SORTS.position(&plan, e), AuditEntryOut::from);
    Ok(HttpResponse::Ok().json(page))
}
