//! Passwords (argon2id), opaque tokens (API keys, refresh tokens) and access tokens (JWT).
//!
//! Opaque tokens are 32 random bytes: they are hashed with a fast keyed HMAC, not a
//! password hash, so authenticating a request costs microseconds.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ApiError;

pub const API_KEY_PREFIX: &str = "crm_sk_";
pub const REFRESH_TOKEN_PREFIX: &str = "crm_rt_";
/// A customer portal token (`crm_core::auth::customer`).
pub const CUSTOMER_TOKEN_PREFIX: &str = "crm_ct_";

/// Keys derived from the deployment's secret, one per purpose.
#[derive(Clone)]
pub struct Keys {
    token_hash: Vec<u8>,
    erased_email: Vec<u8>,
    link_signing: Vec<u8>,
    jwt_encoding: EncodingKey,
    jwt_decoding: DecodingKey,
}

fn derive(secret: &str, purpose: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl Keys {
    pub fn new(secret: &str) -> Keys {
        let jwt = derive(secret, "crm/jwt/v1");
        Keys {
            token_hash: derive(secret, "crm/token-hash/v1"),
            erased_email: derive(secret, "crm/erased-email/v1"),
            link_signing: derive(secret, "crm/link-signing/v1"),
            jwt_encoding: EncodingKey::from_secret(&jwt),
            jwt_decoding: DecodingKey::from_secret(&jwt),
        }
    }

    /// The stored form of an opaque token: hex HMAC-SHA256.
    pub fn hash_token(&self, token: &str) -> String {
        keyed_hash(&self.token_hash, token)
    }

    /// A token for a link the platform sends (a survey's): `parts` (ids, without `.`) joined
    /// by `.`, then their HMAC-SHA256. Nothing stored: [`Keys::verify_link`] checks it.
    pub fn sign_link(&self, parts: &[&str]) -> String {
        let payload = parts.join(".");
        format!("{payload}.{}", keyed_hash(&self.link_signing, &payload))
    }

    /// The parts of a link token this deployment signed (`count` of them), or `None`.
    pub fn verify_link(&self, token: &str, count: usize) -> Option<Vec<String>> {
        let (payload, signature) = token.rsplit_once('.')?;
        let parts: Vec<String> = payload.split('.').map(str::to_string).collect();
        let expected = unhex(signature)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.link_signing).ok()?;
        mac.update(payload.as_bytes());
        (parts.len() == count && mac.verify_slice(&expected).is_ok()).then_some(parts)
    }

    /// What is kept of an erased person's e-mail (trimmed, lower-cased): hex HMAC-SHA256 with
    /// its own derived key, so a database dump cannot be checked against guessed addresses.
    pub fn hash_erased_email(&self, email: &str) -> String {
        keyed_hash(&self.erased_email, &email.trim().to_lowercase())
    }

    pub fn issue_access_token(&self, claims: &AccessClaims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.jwt_encoding).map_err(ApiError::internal)
    }

    /// Verifies signature, algorithm (HS256 only: `alg: none` and others fail) and expiry.
    pub fn verify_access_token(&self, token: &str) -> Option<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        jsonwebtoken::decode::<AccessClaims>(token, &self.jwt_decoding, &validation).ok().map(|d| d.claims)
    }
}

fn keyed_hash(key: &[u8], value: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(value.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    pub org: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
}

/// A new opaque token: the prefix and 32 random bytes, base64url.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(ApiError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash to compare against when the user does not exist, so timing does not reveal it.
pub fn dummy_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default());
    let _ = verify_password(password, hash);
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The bytes of lower-case hex, or `None`.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

/// Hex SHA-256 of some bytes (request fingerprints).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
    }

    #[test]
    fn tokens_hash_deterministically_per_secret() {
        let a = Keys::new("a-secret-of-at-least-thirty-two-chars!");
        let b = Keys::new("another-secret-of-at-least-thirty-two!");
        let token = new_token(API_KEY_PREFIX);
        assert!(token.starts_with("crm_sk_"));
        assert_eq!(a.hash_token(&token), a.hash_token(&token));
        assert_ne!(a.hash_token(&token), b.hash_token(&token));
        assert_eq!(a.hash_erased_email(" Ada@Example.com"), a.hash_erased_email("ada@example.com"));
        assert_ne!(a.hash_erased_email("ada@example.com"), a.hash_token("ada@example.com"));
        assert_ne!(a.hash_erased_email("ada@example.com"), b.hash_erased_email("ada@example.com"));
    }

    #[test]
    fn jwt_rejects_tampering_and_alg_none() {
        let keys = Keys::new("a-secret-of-at-least-thirty-two-chars!");
        let now = chrono::Utc::now().timestamp();
        let claims =
            AccessClaims { sub: "user_1".into(), org: "org_1".into(), role: "admin".into(), iat: now, exp: now + 60 };
        let token = keys.issue_access_token(&claims).unwrap();
        assert_eq!(keys.verify_access_token(&token).unwrap().sub, "user_1");
        let parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys.verify_access_token(&format!("{none_header}.{}.", parts[1])).is_none());
        let forged =
            URL_SAFE_NO_PAD.encode(br#"{"sub":"user_1","org":"org_2","role":"admin","iat":0,"exp":9999999999}"#);
        assert!(keys.verify_access_token(&format!("{}.{forged}.{}", parts[0], parts[2])).is_none());
        let expired = AccessClaims { exp: now - 1, ..claims };
        assert!(keys.verify_access_token(&keys.issue_access_token(&expired).unwrap()).is_none());
    }
}

#[cfg(test)]
mod link_tests {
    use super::Keys;

    #[test]
    fn signed_links_verify_and_forgeries_do_not() {
        let keys = Keys::new("a secret long enough for the tests of this module");
        let token = keys.sign_link(&["org_1", "inv_2"]);
        assert_eq!(keys.verify_link(&token, 2), Some(vec!["org_1".to_string(), "inv_2".to_string()]));
        assert_eq!(keys.verify_link(&token, 3), None);
        assert_eq!(keys.verify_link(&token.replace("inv_2", "inv_3"), 2), None);
        assert_eq!(keys.verify_link("org_1.inv_2.00", 2), None);
        assert_eq!(Keys::new("another secret of the same sort, for a forgery").verify_link(&token, 2), None);
    }
}
