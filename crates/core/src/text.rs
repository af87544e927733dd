//! Text at the edge: what a string in a JSON body may hold, checked once for every body
//! ([`crate::http::parse_json`]) and every imported cell, and stated in the contract as a
//! pattern built from the same character ranges ([`pattern`]).
//!
//! - Every string is stored in Unicode NFC, so the same text is the same bytes.
//! - No control characters (C0 but tab, line feed and carriage return; DEL; C1) and no
//!   bidirectional embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069), which
//!   make text display as something other than what it holds.
//! - Tab, line breaks and U+2028/U+2029 only in multi-line fields ([`is_multiline`]).
//! - Not only invisible characters: a value of zero-width characters (and spaces) looks empty
//!   but is not.

use std::borrow::Cow;

use serde_json::Value;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::error::FieldError;

type Ranges = &'static [(char, char)];

/// Never in any text.
const CONTROLS: Ranges = &[
    ('\u{0}', '\u{8}'),
    ('\u{b}', '\u{c}'),
    ('\u{e}', '\u{1f}'),
    ('\u{7f}', '\u{9f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2066}', '\u{2069}'),
];
/// Only in multi-line text.
const LINE_BREAKS: Ranges = &[('\t', '\n'), ('\r', '\r'), ('\u{2028}', '\u{2029}')];
/// Zero-width characters: text of only these (and spaces) shows as nothing.
const INVISIBLE: Ranges = &[('\u{200b}', '\u{200d}'), ('\u{2060}', '\u{2060}'), ('\u{feff}', '\u{feff}')];
/// Unicode's White_Space, as `char::is_whitespace` has it.
const SPACES: Ranges = &[
    ('\t', '\r'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

fn within(ranges: Ranges, c: char) -> bool {
    ranges.iter().any(|&(low, high)| (low..=high).contains(&c))
}

/// Whether a field holds multi-line text, by its name: `body`, `description`, `notes`, `text`,
/// `html` or a name ending in `_body`, `_description`, `_notes`, `_text` or `_html`. Values of
/// custom fields are multi-line too ([`clean_json`]).
pub fn is_multiline(field: &str) -> bool {
    const NAMES: [&str; 5] = ["body", "description", "notes", "text", "html"];
    NAMES.iter().any(|name| field == *name || field.strip_suffix(name).is_some_and(|head| head.ends_with('_')))
}

/// Why `text` may not be stored, if it may not.
pub fn check(text: &str, multiline: bool) -> Result<(), &'static str> {
    let mut invisible = false;
    let mut visible = false;
    for c in text.chars() {
        if within(CONTROLS, c) {
            return Err("must not contain control or bidirectional-override characters");
        }
        if !multiline && within(LINE_BREAKS, c) {
            return Err("must be one line: no tabs or line breaks");
        }
        invisible |= within(INVISIBLE, c);
        visible |= !within(INVISIBLE, c) && !within(SPACES, c);
    }
    if invisible && !visible {
        return Err("must not be made only of invisible characters");
    }
    Ok(())
}

/// `text` in Unicode NFC (borrowed when it already is, as nearly all text is).
pub fn nfc(text: &str) -> Cow<'_, str> {
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfc().collect()),
    }
}

/// The JSON Schema pattern (ECMA-262) of the strings [`check`] accepts: no control
/// characters (nor line breaks unless `multiline`), and either no invisible character or at
/// least one visible one.
pub fn pattern(multiline: bool) -> String {
    let class = |sets: &[Ranges]| -> String {
        sets.iter()
            .flat_map(|ranges| ranges.iter())
            .map(|&(low, high)| if low == high { escape(low) } else { format!("{}-{}", escape(low), escape(high)) })
            .collect()
    };
    let never = if multiline { class(&[CONTROLS]) } else { class(&[CONTROLS, LINE_BREAKS]) };
    let invisible = class(&[INVISIBLE]);
    let spaces = class(&[SPACES]);
    format!("^(?:[^{never}{invisible}]*|[^{never}]*[^{never}{invisible}{spaces}][^{never}]*)$")
}

fn escape(c: char) -> String {
    format!("\\u{:04X}", u32::from(c))
}

/// Checks and NFC-normalizes every string of a JSON document, object keys included (always
/// single-line); the errors point at the offending values.
pub fn clean_json(value: &mut Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    clean(value, "", false, &mut errors);
    errors
}

fn clean(value: &mut Value, pointer: &str, multiline: bool, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(text) => {
            if let Err(message) = check(text, multiline) {
                errors.push(FieldError::new(pointer, "invalid_character", message));
            } else if let Cow::Owned(normalized) = nfc(text) {
                *text = normalized;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                clean(item, &format!("{pointer}/{i}"), multiline, errors);
            }
        }
        Value::Object(fields) => {
            let entries = std::mem::take(fields);
            for (key, mut item) in entries {
                if let Err(message) = check(&key, false) {
                    // At the object: a pointer through the key would carry the characters refused.
                    errors.push(FieldError::new(pointer, "invalid_character", format!("a key {message}")));
                    continue;
                }
                let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                // The values of custom fields may be long texts (their keys are names).
                let item_multiline = multiline || is_multiline(&key) || key == "custom";
                clean(&mut item, &child, item_multiline, errors);
                fields.insert(nfc(&key).into_owned(), item);
            }
        }
        _ => {}
    }
}

/// Whether a JSON text certainly holds only clean, NFC strings: printable ASCII and JSON
/// whitespace, and no escape at all. Most bodies are, and skip [`clean_json`].
pub fn is_plain_json(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| (b' '..=b'~').contains(&b) && b != b'\\' || matches!(b, b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_pattern_and_the_check_agree() {
        let single = regex::Regex::new(&pattern(false)).unwrap();
        let multi = regex::Regex::new(&pattern(true)).unwrap();
        let interesting = ('\u{0}'..='\u{300}')
            .chain('\u{1600}'..='\u{1700}')
            .chain('\u{2000}'..='\u{2070}')
            .chain(['\u{3000}', '\u{feff}', '\u{fffd}', '😀']);
        for c in interesting {
            for text in
                [c.to_string(), format!("a{c}"), format!("{c} "), format!("{c}\u{200b}"), format!("x{c}\u{200b}y")]
            {
                assert_eq!(single.is_match(&text), check(&text, false).is_ok(), "single-line {text:?}");
                assert_eq!(multi.is_match(&text), check(&text, true).is_ok(), "multi-line {text:?}");
            }
        }
    }

    #[test]
    fn what_is_refused_and_what_is_kept() {
        assert!(check("Ada Lovelace", false).is_ok());
        assert!(check("", false).is_ok());
        assert!(check("   ", false).is_ok(), "blank text is each field's business (required or none)");
        assert!(check("\u{200b}", false).is_err());
        assert!(check(" \u{200b}\u{feff} ", false).is_err());
        assert!(check("Zoë\u{200d}", false).is_ok());
        assert!(check("bell\u{7}", false).is_err());
        assert!(check("esc\u{1b}[31m", true).is_err());
        assert!(check("abc\u{202e}fdp.exe", false).is_err());
        assert!(check("two\nlines", false).is_err());
        assert!(check("two\nlines\tand a tab", true).is_ok());
        assert_eq!(nfc("Zoe\u{308}"), "Zoë");
        assert!(matches!(nfc("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn multi_line_fields_go_by_their_names() {
        for name in ["body", "description", "notes", "text", "html", "reply_body", "plain_text"] {
            assert!(is_multiline(name), "{name}");
        }
        for name in ["name", "first_name", "subject", "nobody", "context", "textual"] {
            assert!(!is_multiline(name), "{name}");
        }
    }

    #[test]
    fn bodies_are_cleaned_with_pointers() {
        let mut body = serde_json::json!({
            "first_name": "Zoe\u{308}",
            "last_name": "a\u{7}",
            "tags": ["ok", "\u{200b}"],
            "body": "line one\nline two",
            "subject": "line one\nline two",
            "custom": {"notes_field": "multi\nline", "bad\nkey": "x"},
        });
        let errors = clean_json(&mut body);
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/custom", "/last_name", "/subject", "/tags/1"]);
        assert_eq!(body["first_name"], "Zoë");
        assert!(is_plain_json(br#"{"a": "b c", "n": [1, 2.5]}"#));
        assert!(!is_plain_json(br#"{"a": "b\u0007"}"#));
        assert!(!is_plain_json("{\"a\": \"é\"}".as_bytes()));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<String>().prop_map(Value::from)
            ];
            leaf.prop_recursive(3, 30, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    prop::collection::btree_map(any::<String>(), inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            /// Cleaning is a fixed point: what it accepts and normalizes, it accepts again unchanged.
            #[test]
            fn clean_text_stays_clean(mut value in json()) {
                let errors = clean_json(&mut value);
                // The errors' pointers are clean text themselves (no key refused is echoed).
                prop_assert!(errors.iter().all(|e| check(&e.pointer, false).is_ok()), "{errors:?}");
                if errors.is_empty() {
                    let mut again = value.clone();
                    prop_assert!(clean_json(&mut again).is_empty());
                    prop_assert_eq!(again, value);
                }
            }

            #[test]
            fn nfc_is_idempotent_and_keeps_the_verdict(text in any::<String>(), multiline in any::<bool>()) {
                let once = nfc(&text).into_owned();
                prop_assert_eq!(nfc(&once).into_owned(), once.clone());
                if check(&text, multiline).is_ok() {
                    prop_assert!(check(&once, multiline).is_ok());
                }
            }
        }
    }
}
