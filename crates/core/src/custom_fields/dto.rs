//! Custom field definitions as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Definition;
use crate::http::{ListQuery, Patch};

/// The kind of record a field belongs to: a registered record type that takes custom fields
/// (`contact`, `company`…; the contract lists them all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct RecordType(pub String);

impl RecordType {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A field's type, which decides the values it takes and the filter operators it supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A string; `min`/`max` bound its length, `pattern` is a regular expression it must match.
    Text,
    /// A whole number between `min` and `max`.
    Number,
    /// A number with a fractional part, between `min` and `max`.
    Decimal,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339, stored in UTC.
    Datetime,
    /// One of `options`.
    Select,
    /// Several of `options`; `min`/`max` bound how many.
    MultiSelect,
    /// An `http` or `https` URL.
    Url,
    /// An e-mail address, stored lower-cased.
    Email,
    /// A phone number, stored in E.164.
    Phone,
}

impl FieldType {
    pub const ALL: [FieldType; 11] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Decimal,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Select,
        FieldType::MultiSelect,
        FieldType::Url,
        FieldType::Email,
        FieldType::Phone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Select => "select",
            FieldType::MultiSelect => "multi_select",
            FieldType::Url => "url",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::MultiSelect)
    }

    /// Whether `min`/`max` mean something for this type (a value, a length or a count).
    pub fn has_bounds(self) -> bool {
        matches!(
            self,
            FieldType::Text
                | FieldType::Number
                | FieldType::Decimal
                | FieldType::MultiSelect
                | FieldType::Url
                | FieldType::Email
                | FieldType::Phone
        )
    }
}

/// A choice of a select or multi-select field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct FieldOption {
    /// What is stored and filtered on.
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "gold", min_length = 1, max_length = 100)]
    pub value: String,
    /// What a UI shows; the value when absent.
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "Gold")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "record_type": "contact", "key": "tier", "label": "Customer tier", "type": "select",
    "options": [{"value": "gold", "label": "Gold"}, {"value": "silver"}]
}))]
pub struct DefinitionIn {
    pub record_type: RecordType,
    /// Lower-case letters, digits and `_`, starting with a letter; addressed as `custom.<key>`.
    #[validate(length(min = 1, max = 63))]
    #[schema(example = "tier", pattern = "^[a-z][a-z0-9_]*$", min_length = 1, max_length = 63)]
    pub key: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// A record must have a value when created (and cannot lose it afterwards).
    #[serde(default)]
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A regular expression a text value must match (whole value).
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub pattern: Option<String>,
    /// The choices of a select or multi-select (1–500).
    #[validate(nested)]
    pub options: Option<Vec<FieldOption>>,
}

/// A merge patch: `key`, `record_type` and `type` cannot change (stored values depend on them).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Tier", "options": [{"value": "gold"}, {"value": "silver"}, {"value": "bronze"}]}))]
pub struct DefinitionPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub label: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub required: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub min: Patch<f64>,
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub max: Patch<f64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub pattern: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<FieldOption>>)]
    pub options: Patch<Vec<FieldOption>>,
    /// Accepted only when it is the current type.
    #[serde(rename = "type")]
    pub field_type: Option<FieldType>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "cf_01jbz3m3x7f6ks6q0vd1tq2n5a", "record_type": "contact", "key": "tier", "label": "Customer tier",
    "description": null, "type": "select", "required": false, "min": null, "max": null, "pattern": null,
    "options": [{"value": "gold", "label": "Gold"}], "archived_at": null,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct DefinitionOut {
    pub id: String,
    pub record_type: RecordType,
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub options: Vec<FieldOption>,
    /// When the field was deleted: its values are kept but hidden until it is restored.
    #[serde(with = "crate::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl From<Definition> for DefinitionOut {
    fn from(d: Definition) -> Self {
        DefinitionOut {
            record_type: RecordType(d.record_type),
            field_type: FieldType::parse(&d.field_type).unwrap_or(FieldType::Text),
            options: serde_json::from_str(&d.options).unwrap_or_default(),
            id: d.id,
            key: d.key,
            label: d.label,
            description: d.description,
            required: d.required,
            min: d.min_value,
            max: d.max_value,
            pattern: d.pattern,
            archived_at: d.archived_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
            version: d.version,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DefinitionsQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// Only the fields of this record type.
    pub record_type: Option<RecordType>,
    /// Include deleted (archived) fields.
    #[serde(default)]
    pub include_archived: bool,
}

impl DefinitionsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: None }
    }
}
