//! UTC time: stored as `TIMESTAMP` without zone, shown as RFC 3339 with `Z`.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// Now, truncated to microseconds (what both databases keep).
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond_truncated()
}

trait TruncateNanos {
    fn with_nanosecond_truncated(self) -> Self;
}

impl TruncateNanos for NaiveDateTime {
    fn with_nanosecond_truncated(self) -> Self {
        use chrono::Timelike;
        let micros = self.nanosecond() / 1_000 * 1_000;
        self.with_nanosecond(micros).unwrap_or(self)
    }
}

/// `2026-11-22T19:44:06.123456Z`
pub fn format(t: &NaiveDateTime) -> String {
    DateTime::<Utc>::from_naive_utc_and_offset(*t, Utc).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses any RFC 3339 time and converts it to UTC.
pub fn parse(s: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc).naive_utc())
}

/// serde for `NaiveDateTime` fields as RFC 3339 UTC.
pub mod rfc3339 {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 date-time"))
    }
}

/// serde for `Option<NaiveDateTime>` fields as RFC 3339 UTC or null.
pub mod rfc3339_option {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => {
                super::parse(&s).map(Some).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 date-time"))
            }
        }
    }
}
