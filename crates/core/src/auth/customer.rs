//! Customers: contacts signed in to a customer portal, with tokens of their own
//! (`crm_ct_…`). A customer is not an [`Actor`](super::Actor): every endpoint that takes an
//! `Actor` answers a customer 404, as if nothing were there, and only the endpoints that take a
//! [`Customer`] serve them (the service domain's portal). Tokens are stored as keyed hashes:
//! `access` tokens authenticate, single-use `sign_in` tokens (e-mailed) are exchanged for one.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::secrets::{CUSTOMER_TOKEN_PREFIX, Keys, new_token};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::customer_tokens;

pub const ACCESS: &str = "access";
pub const SIGN_IN: &str = "sign_in";

/// A contact signed in to the customer portal of their organization.
#[derive(Debug, Clone)]
pub struct Customer {
    pub org_id: String,
    pub contact_id: String,
    pub token_id: String,
}

impl Customer {
    /// Whether a bearer token is a customer's (the middleware hands it here, not to the
    /// platform's own credentials).
    pub fn is_token(token: &str) -> bool {
        token.starts_with(CUSTOMER_TOKEN_PREFIX)
    }

    /// The platform acting on the customer's behalf in their organization (their writes'
    /// audit rows and events).
    pub fn actor(&self, request_id: &str) -> super::Actor {
        let mut actor = crate::jobs::schedule::system_actor(&self.org_id);
        actor.request_id = request_id.to_string();
        actor
    }
}

impl FromRequest for Customer {
    type Error = ApiError;
    type Future = Ready<Result<Customer, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<Customer>().cloned().ok_or_else(|| {
            ApiError::unauthorized("Send `Authorization: Bearer <token>` with a customer token (crm_ct_…).")
        }))
    }
}

/// A new token for the contact: its id, the token (shown once) and when it expires.
pub fn issue(
    conn: &mut DbConnection,
    keys: &Keys,
    org_id: &str,
    contact_id: &str,
    purpose: &'static str,
    lifetime: Duration,
) -> ApiResult<(String, String, NaiveDateTime)> {
    let (id, token) = (crate::id::new_id("ctok"), new_token(CUSTOMER_TOKEN_PREFIX));
    let now = crate::time::now();
    let expires_at = now + lifetime;
    diesel::insert_into(customer_tokens::table)
        .values((
            customer_tokens::id.eq(&id),
            customer_tokens::org_id.eq(org_id),
            customer_tokens::contact_id.eq(contact_id),
            customer_tokens::token_hash.eq(keys.hash_token(&token)),
            customer_tokens::purpose.eq(purpose),
            customer_tokens::expires_at.eq(expires_at),
            customer_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok((id, token, expires_at))
}

/// The customer a live access token names.
pub fn authenticate(conn: &mut DbConnection, keys: &Keys, token: &str) -> ApiResult<Customer> {
    let found: Option<(String, String, String)> = customer_tokens::table
        .filter(customer_tokens::token_hash.eq(keys.hash_token(token)))
        .filter(customer_tokens::purpose.eq(ACCESS))
        .filter(customer_tokens::expires_at.gt(crate::time::now()))
        .filter(customer_tokens::revoked_at.is_null())
        .select((customer_tokens::org_id, customer_tokens::contact_id, customer_tokens::id))
        .first(conn)
        .optional()?;
    let (org_id, contact_id, token_id) =
        found.ok_or_else(|| ApiError::unauthorized("The customer token is invalid, expired or revoked."))?;
    Ok(Customer { org_id, contact_id, token_id })
}

/// Uses up a sign-in token of the organization: the contact it was for, once (`None` when it
/// is unknown, expired, of another organization or used already).
pub fn redeem(conn: &mut DbConnection, keys: &Keys, org_id: &str, token: &str) -> ApiResult<Option<String>> {
    let now = crate::time::now();
    let target = customer_tokens::table
        .filter(customer_tokens::token_hash.eq(keys.hash_token(token)))
        .filter(customer_tokens::org_id.eq(org_id))
        .filter(customer_tokens::purpose.eq(SIGN_IN))
        .filter(customer_tokens::used_at.is_null())
        .filter(customer_tokens::expires_at.gt(now));
    let contact: Option<String> = target.clone().select(customer_tokens::contact_id).first(conn).optional()?;
    let Some(contact) = contact else { return Ok(None) };
    // Only the request whose update takes it gets it: the token is single-use however many race.
    let taken = diesel::update(target).set(customer_tokens::used_at.eq(now)).execute(conn)?;
    Ok((taken == 1).then_some(contact))
}

/// Revokes a contact's tokens (their erasure, or the organization's choice).
pub fn revoke_all(conn: &mut DbConnection, org_id: &str, contact_id: &str) -> ApiResult<usize> {
    Ok(diesel::update(
        customer_tokens::table
            .filter(customer_tokens::org_id.eq(org_id))
            .filter(customer_tokens::contact_id.eq(contact_id))
            .filter(customer_tokens::revoked_at.is_null()),
    )
    .set(customer_tokens::revoked_at.eq(crate::time::now()))
    .execute(conn)?)
}
