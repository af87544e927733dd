//! The customer portal's routes: `/v1/customer-tokens` and `/v1/contacts/{id}/customer-tokens`
//! for the organization, `/v1/public/portal/{slug}/…` to sign in, and `/v1/portal/…` for the
//! signed-in customer (`Authorization: Bearer crm_ct_…`).

use actix_web::{HttpResponse, delete, get, post, put, web};
use crm_core::auth::Actor;
use crm_core::auth::customer::Customer;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{Page, ValidatedJson};
use crm_core::state::AppState;

use super::dto::{
    MeOut, PortalCommentOut, PortalQuery, PortalReplyIn, PortalTicketIn, PortalTicketOut, RatingIn, SessionIn,
    SignInIn, TokenIn, TokenOut,
};
use super::service;
use crate::kb::dto::{PublicArticleOut, PublicArticlesQuery};

/// Mint a customer token
///
/// For the organization's backend: a portal token for one of its contacts (shown once), to
/// hand to its own customer-facing app.
#[utoipa::path(
    operation_id = "create_customer_token", tag = "Customer portal", request_body = TokenIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "The token", body = TokenOut),
        (status = 422, description = "Not a contact the caller sees", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/customer-tokens")]
pub async fn create_customer_token(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<TokenIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(service::mint(&state, &actor, input.0).await?))
}

/// Revoke a contact's customer tokens
#[utoipa::path(
    operation_id = "revoke_customer_tokens", tag = "Customer portal", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id", example = "con_01jbz3m3x7f6ks6q0vd1tq2n5c")),
    responses((status = 204, description = "Every token of the contact is revoked"))
)]
#[delete("/contacts/{id}/customer-tokens")]
pub async fn revoke_customer_tokens(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::revoke(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Public: ask for a sign-in code
///
/// E-mails a one-time code (valid 15 minutes) to the contact holding the address, if one does;
/// answers 202 either way. `slug` is the organization's knowledge-base site.
#[utoipa::path(
    operation_id = "request_portal_sign_in", tag = "Customer portal", request_body = SignInIn, security(()),
    params(("slug" = String, Path, description = "The organization's site slug", example = "acme-help")),
    responses(
        (status = 202, description = "Sent, if the address is a customer's"),
        (status = 404, description = "No site has this slug", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/portal/{slug}/sign-in")]
pub async fn request_portal_sign_in(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    input: ValidatedJson<SignInIn>,
) -> ApiResult<HttpResponse> {
    service::sign_in(&state, slug.into_inner(), input.0).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Public: sign in with the e-mailed code
///
/// Exchanges the code (once) for a customer token valid 24 hours.
#[utoipa::path(
    operation_id = "create_portal_session", tag = "Customer portal", request_body = SessionIn, security(()),
    params(("slug" = String, Path, description = "The organization's site slug", example = "acme-help")),
    responses(
        (status = 201, description = "Signed in", body = TokenOut),
        (status = 401, description = "The code is invalid, expired or used", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/portal/{slug}/sessions")]
pub async fn create_portal_session(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    input: ValidatedJson<SessionIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(service::session(&state, slug.into_inner(), input.0).await?))
}

/// Portal: who is signed in
#[utoipa::path(
    operation_id = "get_portal_me", tag = "Customer portal", security(("customer" = [])),
    responses((status = 200, description = "The customer", body = MeOut))
)]
#[get("/portal/me")]
pub async fn get_portal_me(state: web::Data<AppState>, customer: Customer) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::me(&state, &customer).await?))
}

/// Portal: my tickets
#[utoipa::path(
    operation_id = "list_portal_tickets", tag = "Customer portal", params(PortalQuery), security(("customer" = [])),
    responses((status = 200, description = "The customer's tickets, newest first", body = Page<PortalTicketOut>))
)]
#[get("/portal/tickets")]
pub async fn list_portal_tickets(
    state: web::Data<AppState>,
    customer: Customer,
    query: web::Query<PortalQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::tickets(&state, &customer, query.into_inner()).await?))
}

/// Portal: open a ticket
#[utoipa::path(
    operation_id = "create_portal_ticket", tag = "Customer portal", request_body = PortalTicketIn, security(("customer" = [])),
    responses((status = 201, description = "Opened", body = PortalTicketOut, headers(("Location" = String, description = "The ticket's portal URL"))))
)]
#[post("/portal/tickets")]
pub async fn create_portal_ticket(
    state: web::Data<AppState>,
    customer: Customer,
    input: ValidatedJson<PortalTicketIn>,
) -> ApiResult<HttpResponse> {
    let ticket = service::open(&state, &customer, input.0).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/v1/portal/tickets/{}", ticket.id))).json(ticket))
}

/// Portal: one of my tickets
#[utoipa::path(
    operation_id = "get_portal_ticket", tag = "Customer portal", security(("customer" = [])),
    params(("id" = String, Path, description = "Ticket id", example = "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The ticket", body = PortalTicketOut))
)]
#[get("/portal/tickets/{id}")]
pub async fn get_portal_ticket(
    state: web::Data<AppState>,
    customer: Customer,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::ticket(&state, &customer, id.into_inner()).await?))
}

/// Portal: a ticket's conversation
///
/// Public replies only, oldest first.
#[utoipa::path(
    operation_id = "list_portal_ticket_comments", tag = "Customer portal", security(("customer" = [])),
    params(("id" = String, Path, description = "Ticket id"), PortalQuery),
    responses((status = 200, description = "The conversation", body = Page<PortalCommentOut>))
)]
#[get("/portal/tickets/{id}/comments")]
pub async fn list_portal_ticket_comments(
    state: web::Data<AppState>,
    customer: Customer,
    id: web::Path<String>,
    query: web::Query<PortalQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::comments(&state, &customer, id.into_inner(), query.into_inner()).await?))
}

/// Portal: reply
///
/// Reopens a pending or solved ticket; a closed one takes no reply (409 `ticket_closed`).
#[utoipa::path(
    operation_id = "create_portal_ticket_comment", tag = "Customer portal", request_body = PortalReplyIn, security(("customer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 201, description = "The reply", body = PortalCommentOut),
        (status = 409, description = "The ticket is closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/portal/tickets/{id}/comments")]
pub async fn create_portal_ticket_comment(
    state: web::Data<AppState>,
    customer: Customer,
    id: web::Path<String>,
    input: ValidatedJson<PortalReplyIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(service::reply(&state, &customer, id.into_inner(), input.0).await?))
}

/// Portal: rate a solved ticket
///
/// 1 to 5, with a comment; rating again replaces it (`survey.response_received`).
#[utoipa::path(
    operation_id = "rate_portal_ticket", tag = "Customer portal", request_body = RatingIn, security(("customer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, description = "The rating", body = crate::survey::dto::ResponseOut),
        (status = 409, description = "The ticket is not solved", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/portal/tickets/{id}/rating")]
pub async fn rate_portal_ticket(
    state: web::Data<AppState>,
    customer: Customer,
    id: web::Path<String>,
    input: ValidatedJson<RatingIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::rate(&state, &customer, id.into_inner(), input.0).await?))
}

/// Portal: search or list the knowledge base
#[utoipa::path(
    operation_id = "list_portal_kb_articles", tag = "Customer portal", params(PublicArticlesQuery), security(("customer" = [])),
    responses((status = 200, description = "Published articles", body = Page<PublicArticleOut>))
)]
#[get("/portal/kb/articles")]
pub async fn list_portal_kb_articles(
    state: web::Data<AppState>,
    customer: Customer,
    query: web::Query<PublicArticlesQuery>,
) -> ApiResult<HttpResponse> {
    let scope = customer.actor("").scope();
    Ok(HttpResponse::Ok().json(crate::kb::public::published_articles(&state, scope, query.into_inner()).await?))
}

/// Portal: a knowledge-base article
#[utoipa::path(
    operation_id = "get_portal_kb_article", tag = "Customer portal", security(("customer" = [])),
    params(("id" = String, Path, description = "Article id", example = "kba_01jbz3m3x7f6ks6q0vd1tq2n5b")),
    responses((status = 200, description = "The article", body = PublicArticleOut))
)]
#[get("/portal/kb/articles/{id}")]
pub async fn get_portal_kb_article(
    state: web::Data<AppState>,
    customer: Customer,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = customer.actor("").scope();
    Ok(HttpResponse::Ok().json(crate::kb::public::published_article(&state, scope, id.into_inner()).await?))
}
