//! crm-gateway: wires the platform and every domain into one actix-web app, serves the
//! OpenAPI document and the interactive docs, and runs the CLI. No domain logic lives here.

pub mod cli;
pub mod server;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, get, web};
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
pub const DOMAINS: &[&Domain] = &[&crm_core::DOMAIN, &crm_contacts::DOMAIN];

/// The OpenAPI document of everything the app serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut spec) = App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes).split_for_parts();
    crm_core::openapi::StandardResponses.modify(&mut spec);
    crm_core::registry::document_record_types(&mut spec, DOMAINS);
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
        .default_service(web::to(not_found))
        .wrap(cors)
        .wrap(from_fn(request_id))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(actix_web::http::StatusCode::NOT_FOUND, "not_found", "There is nothing at this path."))
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
