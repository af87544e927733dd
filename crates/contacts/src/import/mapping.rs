//! Column mapping: which CSV column feeds which contact field, and **the one place where a
//! CSV row becomes a `ContactIn`** ([`row_input`]). Everything after it (normalization,
//! uniqueness, storage, audit rows and events) is the contact service's own path.

use std::collections::BTreeMap;

use crm_core::error::{ApiError, ApiResult, FieldError};

use super::dto::Targets;
use crate::common::{Address, ChannelKind};
use crate::contact::dto::{ContactIn, EmailEntry, LifecycleStage, PhoneEntry};

/// Where a column's value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Id,
    FirstName,
    LastName,
    /// Several columns may map to e-mails (or phones): the first in file order is primary.
    Email,
    Phone,
    JobTitle,
    LifecycleStage,
    LeadSource,
    OwnerId,
    /// Split on `;` or `,`.
    Tags,
    ExternalId(String),
    Address(AddressPart),
    CompanyName,
    CompanyDomain,
    /// A custom field's key: the text is read as the field's type when the row is stored.
    Custom(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPart {
    Line1,
    Line2,
    City,
    Region,
    PostalCode,
    Country,
}

/// The targets a mapping may name (and what `mapping` defaults to matching header names against).
pub const TARGETS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "lifecycle_stage",
    "lead_source",
    "owner_id",
    "tags",
    "external_id:<source>",
    "address.line1",
    "address.line2",
    "address.city",
    "address.region",
    "address.postal_code",
    "address.country",
    "company.name",
    "company.domain",
    "custom.<key>",
];

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let t = s.trim();
        Ok(match t {
            "id" => Target::Id,
            "first_name" => Target::FirstName,
            "last_name" => Target::LastName,
            "email" => Target::Email,
            "phone" => Target::Phone,
            "job_title" => Target::JobTitle,
            "lifecycle_stage" => Target::LifecycleStage,
            "lead_source" => Target::LeadSource,
            "owner_id" => Target::OwnerId,
            "tags" => Target::Tags,
            "address.line1" => Target::Address(AddressPart::Line1),
            "address.line2" => Target::Address(AddressPart::Line2),
            "address.city" => Target::Address(AddressPart::City),
            "address.region" => Target::Address(AddressPart::Region),
            "address.postal_code" => Target::Address(AddressPart::PostalCode),
            "address.country" => Target::Address(AddressPart::Country),
            "company.name" => Target::CompanyName,
            "company.domain" => Target::CompanyDomain,
            _ => {
                if let Some(source) = t.strip_prefix("external_id:") {
                    if crm_core::records::is_source(source) {
                        return Ok(Target::ExternalId(source.to_string()));
                    }
                    return Err(format!("{source:?} is not an external id source ([a-z0-9_-], 1–32 characters)"));
                }
                if let Some(key) = t.strip_prefix("custom.") {
                    if crm_core::custom_fields::service::valid_key(key) {
                        return Ok(Target::Custom(key.to_string()));
                    }
                    return Err(format!("{key:?} is not a custom field key"));
                }
                return Err(format!("unknown target; use one of {}", TARGETS.join(", ")));
            }
        })
    }
}

/// The mapping resolved against the file's header: (column index, target), in file order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub columns: Vec<(usize, Target)>,
}

impl Plan {
    /// Resolves `mapping` (column name → target) against `header`; without a mapping, every
    /// column whose name is a target (`Email`, `first name`, `Job Title`…) maps to it.
    /// Errors point at `/options/mapping/<column>`.
    pub fn new(header: &[String], mapping: Option<&BTreeMap<String, Targets>>) -> ApiResult<Plan> {
        let mut columns = Vec::new();
        let mut errors = Vec::new();
        match mapping {
            Some(mapping) => {
                for (column, targets) in mapping {
                    let pointer = format!("/options/mapping/{}", column.replace('~', "~0").replace('/', "~1"));
                    let Some(index) = header.iter().position(|h| h == column) else {
                        errors.push(FieldError::new(pointer, "unknown_column", "the file has no such column"));
                        continue;
                    };
                    for target in targets.list() {
                        if target.trim().is_empty() || target.trim() == "ignore" {
                            continue;
                        }
                        match Target::parse(target) {
                            Ok(t) => columns.push((index, t)),
                            Err(detail) => errors.push(FieldError::new(pointer.clone(), "invalid_target", detail)),
                        }
                    }
                }
            }
            None => {
                for (index, name) in header.iter().enumerate() {
                    let key = name.trim().to_lowercase().replace([' ', '-'], "_");
                    let key = match key.as_str() {
                        "e_mail" | "email_address" => "email".to_string(),
                        "phone_number" | "mobile" => "phone".to_string(),
                        "company" | "company_name" => "company.name".to_string(),
                        "tag" => "tags".to_string(),
                        _ => key,
                    };
                    if let Ok(t) = Target::parse(&key)
                        && !key.starts_with("external_id")
                    {
                        columns.push((index, t));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        if columns.is_empty() {
            return Err(ApiError::invalid_field(
                "/options/mapping",
                "empty_mapping",
                "map at least one column to a contact field",
            ));
        }
        columns.sort_by_key(|(i, _)| *i);
        Ok(Plan { columns })
    }

    pub fn has(&self, target: &Target) -> bool {
        self.columns.iter().any(|(_, t)| t == target)
    }
}

/// How a row names its company.
#[derive(Debug, Clone, Default)]
pub struct CompanyRef {
    pub name: Option<String>,
    pub domain: Option<String>,
}

/// One CSV row as a contact input, plus what the import needs beside it.
#[derive(Debug, Clone, Default)]
pub struct RowInput {
    pub id: Option<String>,
    pub contact: ContactIn,
    pub company: Option<CompanyRef>,
}

/// **Where a CSV row becomes a `ContactIn`.** Blank cells are left out (an update keeps the
/// stored value); values are checked by the contact service's `normalize` afterwards, except
/// the lifecycle stage, which must be read here. Errors point at `/<column name>`.
pub fn row_input(plan: &Plan, header: &[String], row: &[String]) -> ApiResult<RowInput> {
    let mut input = RowInput::default();
    let mut address = Address {
        kind: ChannelKind::Work,
        line1: None,
        line2: None,
        city: None,
        region: None,
        postal_code: None,
        country: None,
    };
    let mut has_address = false;
    let mut company = CompanyRef::default();
    let mut errors = Vec::new();
    for (index, target) in &plan.columns {
        let Some(value) = row.get(*index).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        // The same rules as a JSON body's strings (crm_core::text): custom values may be long text.
        if let Err(message) = crm_core::text::check(value, matches!(target, Target::Custom(_))) {
            let column = header.get(*index).map(String::as_str).unwrap_or_default();
            errors.push(FieldError::new(format!("/{column}"), "invalid_character", message));
            continue;
        }
        let value = crm_core::text::nfc(value).into_owned();
        let c = &mut input.contact;
        match target {
            Target::Id => input.id = Some(value),
            Target::FirstName => c.first_name = Some(value),
            Target::LastName => c.last_name = Some(value),
            Target::Email => c.emails.get_or_insert_with(Vec::new).push(EmailEntry {
                address: value,
                kind: ChannelKind::Work,
                primary: false,
            }),
            Target::Phone => c.phones.get_or_insert_with(Vec::new).push(PhoneEntry {
                number: value,
                kind: ChannelKind::Work,
                primary: false,
            }),
            Target::JobTitle => c.job_title = Some(value),
            Target::LifecycleStage => match LifecycleStage::parse(&value.to_lowercase().replace([' ', '-'], "_")) {
                Some(stage) => c.lifecycle_stage = Some(stage),
                None => {
                    let column = header.get(*index).map(String::as_str).unwrap_or_default();
                    errors.push(FieldError::new(
                        format!("/{column}"),
                        "invalid_lifecycle_stage",
                        format!("{value:?} is not a lifecycle stage"),
                    ));
                }
            },
            Target::LeadSource => c.lead_source = Some(value),
            Target::OwnerId => c.owner_id = Some(value),
            Target::Tags => c
                .tags
                .get_or_insert_with(Vec::new)
                .extend(value.split([';', ',']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)),
            Target::ExternalId(source) => {
                c.external_ids.get_or_insert_with(BTreeMap::new).insert(source.clone(), value);
            }
            Target::Address(part) => {
                has_address = true;
                let slot = match part {
                    AddressPart::Line1 => &mut address.line1,
                    AddressPart::Line2 => &mut address.line2,
                    AddressPart::City => &mut address.city,
                    AddressPart::Region => &mut address.region,
                    AddressPart::PostalCode => &mut address.postal_code,
                    AddressPart::Country => &mut address.country,
                };
                *slot = Some(value);
            }
            Target::CompanyName => company.name = Some(value),
            Target::CompanyDomain => company.domain = Some(value),
            Target::Custom(key) => {
                c.custom.get_or_insert_with(serde_json::Map::new).insert(key.clone(), serde_json::Value::String(value));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if has_address {
        // Checked like the API's addresses (lengths, a two-letter country).
        validator::Validate::validate(&address).map_err(|e| {
            let mut errors = crm_core::http::field_errors(&e);
            for error in &mut errors {
                error.pointer = format!("/address{}", error.pointer);
            }
            ApiError::validation(errors)
        })?;
        input.contact.addresses = Some(vec![address]);
    }
    if company.name.is_some() || company.domain.is_some() {
        input.company = Some(company);
    }
    validator::Validate::validate(&input.contact)
        .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_mapping_matches_header_names() {
        let h = header(&["First Name", "E-mail", "Score", "Company"]);
        let plan = Plan::new(&h, None).unwrap();
        assert_eq!(plan.columns, vec![(0, Target::FirstName), (1, Target::Email), (3, Target::CompanyName)]);
    }

    #[test]
    fn rows_become_contact_inputs() {
        let h = header(&["mail", "mail2", "tags", "stage", "shop"]);
        let mapping: BTreeMap<String, Targets> = [
            ("mail", "email"),
            ("mail2", "email"),
            ("tags", "tags"),
            ("stage", "lifecycle_stage"),
            ("shop", "external_id:shopify"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), Targets::One(b.to_string())))
        .collect();
        let plan = Plan::new(&h, Some(&mapping)).unwrap();
        let row = header(&["a@x.test", "b@x.test", "vip; new,  ", "Sales Qualified", "77"]);
        let input = row_input(&plan, &h, &row).unwrap();
        let emails: Vec<_> = input.contact.emails.unwrap().into_iter().map(|e| e.address).collect();
        assert_eq!(emails, ["a@x.test", "b@x.test"]);
        assert_eq!(input.contact.tags.unwrap(), ["vip", "new"]);
        assert_eq!(input.contact.lifecycle_stage, Some(LifecycleStage::SalesQualified));
        assert_eq!(input.contact.external_ids.unwrap()["shopify"], "77");
        let bad = header(&["", "", "", "royalty", ""]);
        assert_eq!(row_input(&plan, &h, &bad).unwrap_err().errors[0].pointer, "/stage");
    }

    #[test]
    fn bad_mappings_point_at_the_column() {
        let h = header(&["a"]);
        let map =
            |k: &str, v: &str| [(k.to_string(), Targets::One(v.to_string()))].into_iter().collect::<BTreeMap<_, _>>();
        let e = Plan::new(&h, Some(&map("b", "email"))).unwrap_err();
        assert_eq!(e.errors[0].pointer, "/options/mapping/b");
        let e = Plan::new(&h, Some(&map("a", "custom.Not A Key"))).unwrap_err();
        assert_eq!(e.errors[0].code, "invalid_target");
        assert!(Plan::new(&h, Some(&map("a", "favourite_colour"))).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn target() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("first_name".to_string()),
                Just("email".to_string()),
                Just("phone".to_string()),
                Just("tags".to_string()),
                Just("lifecycle_stage".to_string()),
                Just("address.country".to_string()),
                Just("company.name".to_string()),
                Just("custom.tier".to_string()),
                Just("external_id:shop".to_string()),
                ".{0,16}",
            ]
        }

        proptest! {
            /// Any header, mapping and row: a plan and an input, or a 4xx pointing at a column.
            #[test]
            fn any_mapping_and_row_is_read_or_refused(
                header in prop::collection::vec(".{0,12}", 0..6),
                mapped in prop::collection::vec((0usize..6, target()), 0..6),
                row in prop::collection::vec(".{0,30}", 0..8),
            ) {
                let mapping: BTreeMap<String, Targets> = mapped
                    .into_iter()
                    .filter_map(|(i, t)| header.get(i).map(|h| (h.clone(), Targets::One(t))))
                    .collect();
                for mapping in [None, Some(&mapping)] {
                    match Plan::new(&header, mapping) {
                        Ok(plan) => {
                            if let Err(e) = row_input(&plan, &header, &row) {
                                prop_assert!(e.status.is_client_error(), "{e}");
                            }
                        }
                        Err(e) => prop_assert!(e.status.is_client_error(), "{e}"),
                    }
                }
            }
        }
    }
}
