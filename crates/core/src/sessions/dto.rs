//! Sign-in requests and the token pair.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple"}))]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
    /// Needed only when the e-mail belongs to users of several organizations.
    pub organization_id: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "crm_rt_Q2hhbmdlIG1lIGZvciBhIHJlYWwgdG9rZW4gcGxlYXNl"}))]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"invitation_token": "crm_inv_Q2hhbmdlIG1lIGZvciBhIHJlYWwgdG9rZW4gcGxlYXNl", "password": "correct horse battery staple"}))]
pub struct AcceptInvitation {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub invitation_token: String,
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
}

/// An access token (JWT) and the refresh token that renews it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzAxIn0.c2lnbmF0dXJl", "token_type": "Bearer",
    "expires_in": 900, "refresh_token": "crm_rt_Q2hhbmdlIG1lIGZvciBhIHJlYWwgdG9rZW4gcGxlYXNl", "refresh_expires_in": 2592000
}))]
pub struct TokenOut {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid.
    pub expires_in: i64,
    /// One use only: `POST /v1/auth/refresh` returns a new pair.
    pub refresh_token: String,
    pub refresh_expires_in: i64,
}
