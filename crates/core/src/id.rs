//! Prefixed, time-ordered identifiers in the TypeID format: `con_01h455vb4pex5vsknk084sn02q`.
//!
//! The suffix is a UUIDv7 in lower-case Crockford base32 (26 characters), so ids sort by
//! creation time as plain text and can be stored exactly as the API shows them.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new id with the given type prefix.
pub fn new_id(prefix: &str) -> String {
    let bytes = uuid::Uuid::now_v7().into_bytes();
    let value = u128::from_be_bytes(bytes);
    let mut suffix = [0u8; 26];
    // 130 bits of base32 hold the 128-bit value: the first character carries only 3 bits.
    for (i, slot) in suffix.iter_mut().enumerate() {
        let shift = 5 * (25 - i);
        let digit = ((value >> shift) & 0x1f) as usize;
        *slot = ALPHABET[digit];
    }
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push('_');
    id.extend(suffix.iter().map(|b| *b as char));
    id
}

/// Whether `id` is a well-formed id of this type (the prefix, `_`, 26 base32 characters).
pub fn is_valid(prefix: &str, id: &str) -> bool {
    let Some(suffix) = id.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('_')) else {
        return false;
    };
    suffix.len() == 26 && suffix.as_bytes()[0] <= b'7' && suffix.bytes().all(|b| ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_sort_by_time() {
        let a = new_id("con");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("con");
        assert!(a.starts_with("con_"));
        assert_eq!(a.len(), 30);
        assert!(a < b);
        assert!(is_valid("con", &a));
    }

    #[test]
    fn rejects_malformed_ids() {
        assert!(!is_valid("con", "deal_01h455vb4pex5vsknk084sn02q"));
        assert!(!is_valid("con", "con_01h455vb4pex5vsknk084sn02"));
        assert!(!is_valid("con", "con_81h455vb4pex5vsknk084sn02q"));
        assert!(!is_valid("con", "con_01h455vb4pex5vsknk084sn0iq"));
    }
}
