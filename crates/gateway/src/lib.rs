//! crm-gateway: wires the platform and every domain into one actix-web app, serves the
//! OpenAPI document and the interactive docs, and runs the CLI. No domain logic lives here.

pub mod cli;
pub mod server;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, get, web};
use crm_core::AppState;
use crm_core::error::{ApiError, FieldError, Problem};
use crm_core::http::{idempotency, json_config, path_config, query_config, rate_limit, request_id};
use crm_core::registry::Domain;
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "crm API",
        version = "1.0.0",
        description = "A headless CRM: contacts, sales, marketing, service and analytics over one REST/JSON API.\n\n\
            Authenticate with `Authorization: Bearer <API key or access token>`. Errors are RFC 9457 \
            `application/problem+json`. Lists page with `limit` and an opaque `cursor`. Every POST accepts an \
            `Idempotency-Key`; records carry a `version` and an `ETag`, and writes honour `If-Match`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/", description = "This server")),
    components(schemas(Problem, FieldError)),
)]
struct ApiDoc;

/// Every domain the app serves: adding a domain is one line here.
pub const DOMAINS: &[&Domain] =
    &[&crm_core::DOMAIN, &crm_contacts::DOMAIN, &crm_webhooks::DOMAIN, &crm_sales::DOMAIN, &crm_service::DOMAIN];

/// The OpenAPI document of everything the app serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut spec) = App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes).split_for_parts();
    crm_core::openapi::StandardResponses.modify(&mut spec);
    crm_core::registry::document_record_types(&mut spec, DOMAINS);
    crm_core::registry::document_event_types(&mut spec, DOMAINS);
    let tags = DOMAINS.iter().flat_map(|d| d.tags).map(|(name, description)| {
        utoipa::openapi::tag::TagBuilder::new().name(*name).description(Some(*description)).build()
    });
    spec.tags = Some(tags.collect());
    spec
}

/// The spec as pretty JSON, as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut json = openapi().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        scope::scope("/v1")
            .wrap(from_fn(idempotency))
            .wrap(from_fn(rate_limit))
            .wrap(from_fn(crm_core::auth::authenticate))
            .configure(|cfg| DOMAINS.iter().for_each(|d| (d.configure)(cfg))),
    )
    .configure(crm_core::configure_health);
}

/// The whole application, for the server and for tests.
pub fn app(
    state: web::Data<AppState>,
    spec: web::Data<utoipa::openapi::OpenApi>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let max_body = state.config.max_body_bytes;
    let cors = cors(&state.config.cors_origins);
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(max_body))
        .app_data(json_config(max_body))
        .app_data(query_config())
        .app_data(path_config())
        .app_data(spec.clone())
        .into_utoipa_app()
        .configure(routes)
        .into_app()
        .service(serve_openapi)
        .service(docs_redirect)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec.get_ref().clone()))
        .default_service(web::to(no_route))
        .wrap(cors)
        .wrap(from_fn(crm_core::http::client_limits))
        .wrap(from_fn(request_id))
}

/// What no route took: a 405 with `Allow` when the contract has the path with other methods,
/// a 404 otherwise.
async fn no_route(req: HttpRequest, spec: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    let allowed = allowed_methods(&spec, req.path());
    if allowed.is_empty() {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "There is nothing at this path.").error_response();
    }
    let allow = allowed.join(", ");
    let detail = format!("{} {} is not an operation; this path takes {allow}.", req.method(), req.path());
    let mut response = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", detail).error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    response
}

/// The methods the contract gives the path `path` (its most literal template: `/v1/contacts/search`
/// before `/v1/contacts/{id}`); none for a path it does not have.
fn allowed_methods(spec: &utoipa::openapi::OpenApi, path: &str) -> Vec<&'static str> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let matching = spec.paths.paths.iter().filter(|(template, _)| {
        let parts: Vec<&str> = template.split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
    });
    let Some((_, item)) = matching.min_by_key(|(template, _)| template.matches('{').count()) else {
        return Vec::new();
    };
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, present)| present.then_some(method))
    .collect()
}

#[get("/openapi.json")]
async fn serve_openapi(spec: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(spec.get_ref())
}

#[get("/docs")]
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
}

fn cors(origins: &str) -> Cors {
    let base = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers([
            "etag",
            "location",
            "x-request-id",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "retry-after",
            "idempotent-replayed",
        ])
        .max_age(3600);
    match origins.trim() {
        "" => base,
        "*" => base.allow_any_origin(),
        list => list
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .fold(base, |cors, origin| cors.allowed_origin(origin)),
    }
}
