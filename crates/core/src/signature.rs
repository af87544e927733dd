//! Standard Webhooks v1 signatures (<https://www.standardwebhooks.com>): what outbound webhooks
//! send and what signed inbound endpoints check. The one HMAC implementation of the product:
//! every domain that signs or verifies a payload uses this module.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret: `whsec_<base64 of the key>`.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing key, parsed from its `whsec_…` form.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

impl SigningKey {
    /// A new secret of 32 random bytes, in its `whsec_…` form.
    pub fn generate() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
    }

    /// Parses `whsec_<base64>` (the prefix is optional, as the reference libraries accept).
    pub fn parse(secret: &str) -> Option<SigningKey> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        STANDARD.decode(encoded).ok().filter(|k| !k.is_empty()).map(SigningKey)
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body).finalize().into_bytes()))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// Whether one of the space-separated `v1,…` signatures of a `webhook-signature` header is
    /// this key's signature of the message (compared in constant time).
    pub fn verifies(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        header
            .split(' ')
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|s| STANDARD.decode(s).ok())
            .any(|given| self.mac(id, timestamp, body).verify_slice(&given).is_ok())
    }
}

/// The `webhook-signature` header for a message: one signature per key, space-separated (two
/// while a rotated secret's old key is still honoured).
pub fn signature_header(keys: &[SigningKey], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter().map(|k| k.sign(id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector of the Standard Webhooks specification.
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TIMESTAMP: i64 = 1649367553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;

    #[test]
    fn the_specification_test_vector_signs_and_verifies() {
        let key = SigningKey::parse(SECRET).expect("a valid secret");
        let signature = key.sign(ID, TIMESTAMP, BODY);
        assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
        assert!(key.verifies(ID, TIMESTAMP, BODY, &format!("v1,bm90IGl0 {signature}")));
        assert!(!key.verifies(ID, TIMESTAMP + 1, BODY, &signature));
        assert!(!key.verifies(ID, TIMESTAMP, b"{}", &signature));
    }

    #[test]
    fn a_rotation_header_carries_both_signatures() {
        let (old, new) = (SigningKey::parse(SECRET).expect("valid"), SigningKey::parse(&SigningKey::generate()));
        let new = new.expect("a generated secret parses");
        let header = signature_header(&[new.clone(), old.clone()], ID, TIMESTAMP, BODY);
        assert_eq!(header.split(' ').count(), 2);
        assert!(old.verifies(ID, TIMESTAMP, BODY, &header) && new.verifies(ID, TIMESTAMP, BODY, &header));
    }

    #[test]
    fn generated_secrets_have_the_standard_form() {
        let secret = SigningKey::generate();
        assert!(secret.starts_with(SECRET_PREFIX));
        assert_eq!(STANDARD.decode(&secret[SECRET_PREFIX.len()..]).map(|k| k.len()).ok(), Some(32));
        assert!(SigningKey::parse("whsec_!!").is_none());
    }
}
