//! E-mail addresses and phone numbers in one canonical form: lower-cased e-mail, E.164 phone.

use validator::ValidateEmail;

/// National phone numbers are read in this region until organizations carry their own.
pub const DEFAULT_REGION: &str = "US";

/// A valid, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.len() > 254 || !email.validate_email() {
            return Err("must be a valid e-mail address");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A valid phone number in E.164 (`+14155550100`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses an international number, or a national one in `default_region` (ISO 3166 alpha-2).
    pub fn parse(raw: &str, default_region: &str) -> Result<Phone, &'static str> {
        let region = default_region.parse::<phonenumber::country::Id>().ok();
        let number = phonenumber::parse(region, raw.trim()).map_err(|_| "must be a phone number")?;
        if !phonenumber::is_valid(&number) {
            return Err("is not a valid phone number");
        }
        Ok(Phone(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A web domain, lower-cased, without scheme, `www.`, port or path: `https://www.Acme.example/x` → `acme.example`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain(String);

impl Domain {
    pub fn parse(raw: &str) -> Result<Domain, &'static str> {
        let lower = raw.trim().to_lowercase();
        let without_scheme = lower.split_once("://").map_or(lower.as_str(), |(_, rest)| rest);
        let host = without_scheme.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = host.split(':').next().unwrap_or("");
        let host = host.strip_prefix("www.").unwrap_or(host).trim_end_matches('.');
        let labels_ok = host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if host.len() > 253 || !host.contains('.') || !labels_ok {
            return Err("must be a domain like acme.example");
        }
        Ok(Domain(host.to_string()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        assert!(Email::parse("ada@").is_err());
        assert!(Email::parse("not an email").is_err());
    }

    #[test]
    fn domains_lose_scheme_www_and_path() {
        assert_eq!(Domain::parse("https://www.Acme.example/about?x=1").unwrap().into_string(), "acme.example");
        assert_eq!(Domain::parse("shop.acme.co.uk:8080").unwrap().into_string(), "shop.acme.co.uk");
        assert!(Domain::parse("localhost").is_err());
        assert!(Domain::parse("bad_domain.example").is_err());
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(Phone::parse("(415) 555-2671", "US").unwrap().into_string(), "+14155552671");
        assert_eq!(Phone::parse("+44 20 7946 0958", "US").unwrap().into_string(), "+442079460958");
        assert_eq!(Phone::parse("030 901820", "DE").unwrap().into_string(), "+4930901820");
        assert!(Phone::parse("12", "US").is_err());
        assert!(Phone::parse("call me", "US").is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// What normalization accepts, it accepts again unchanged: stored values are stable.
            #[test]
            fn normal_forms_are_fixed_points(raw in ".{0,40}", local in "[A-Za-z0-9._%+-]{1,20}", host in "[A-Za-z0-9-]{1,12}\\.[A-Za-z]{2,6}") {
                for candidate in [raw.clone(), format!("{local}@{host}"), format!(" {}@{} ", local.to_uppercase(), host)] {
                    if let Ok(email) = Email::parse(&candidate) {
                        prop_assert_eq!(Email::parse(email.as_str()).map(Email::into_string), Ok(email.into_string()));
                    }
                }
                for candidate in [raw.clone(), format!("https://www.{host}/{local}"), host.clone()] {
                    if let Ok(domain) = Domain::parse(&candidate) {
                        let domain = domain.into_string();
                        prop_assert_eq!(Domain::parse(&domain).map(Domain::into_string), Ok(domain));
                    }
                }
            }

            #[test]
            fn phone_numbers_are_fixed_points(raw in "[0-9 ()+.-]{0,20}", region in prop_oneof![Just("US"), Just("GB"), Just("DE"), Just("FR")]) {
                if let Ok(phone) = Phone::parse(&raw, region) {
                    let e164 = phone.into_string();
                    prop_assert_eq!(Phone::parse(&e164, "US").map(Phone::into_string), Ok(e164));
                }
            }
        }
    }
}
