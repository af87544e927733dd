//! Checking a record's custom values against its organization's definitions.

use serde_json::{Map, Value};

use super::dto::{FieldOption, FieldType};
use super::model::{self, Definition, IndexedValue};
use crate::db::DbConnection;
use crate::error::{ApiResult, FieldError};
use crate::filter::{CustomField, CustomKind};
use crate::normalize::{Email, Phone};
use crate::scope::Scope;

/// Longest text value when the definition sets no `max`.
const MAX_TEXT: usize = 10_000;

/// One definition, parsed once for checking values.
#[derive(Debug, Clone)]
pub struct Field {
    pub key: String,
    pub field_type: FieldType,
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<regex::Regex>,
    pub options: Vec<String>,
    pub archived: bool,
}

impl Field {
    fn from_definition(d: &Definition) -> Field {
        let options: Vec<FieldOption> = serde_json::from_str(&d.options).unwrap_or_default();
        Field {
            key: d.key.clone(),
            field_type: FieldType::parse(&d.field_type).unwrap_or(FieldType::Text),
            required: d.required,
            min: d.min_value,
            max: d.max_value,
            pattern: d.pattern.as_deref().and_then(|p| compile_pattern(p).ok()),
            options: options.into_iter().map(|o| o.value).collect(),
            archived: d.archived_at.is_some(),
        }
    }

    /// Checks one value and returns it in canonical form.
    fn check(&self, value: &Value, region: &str) -> Result<Value, String> {
        let within = |n: f64, what: &str| -> Result<(), String> {
            match (self.min, self.max) {
                (Some(min), _) if n < min => Err(format!("{what} must be at least {min}")),
                (_, Some(max)) if n > max => Err(format!("{what} must be at most {max}")),
                _ => Ok(()),
            }
        };
        let text = || value.as_str().map(str::trim).ok_or_else(|| "must be a string".to_string());
        let length = |s: &str| -> Result<(), String> {
            if self.max.is_none() && s.chars().count() > MAX_TEXT {
                return Err(format!("must be at most {MAX_TEXT} characters"));
            }
            within(s.chars().count() as f64, "its length")
        };
        match self.field_type {
            FieldType::Text => {
                let s = text()?;
                length(s)?;
                if let Some(pattern) = &self.pattern
                    && !pattern.is_match(s)
                {
                    return Err(format!("must match {}", pattern.as_str()));
                }
                Ok(Value::String(s.to_string()))
            }
            FieldType::Number => {
                let n = value.as_i64().ok_or("must be a whole number")?;
                within(n as f64, "it")?;
                Ok(Value::from(n))
            }
            FieldType::Decimal => {
                let n = value.as_f64().filter(|n| n.is_finite()).ok_or("must be a number")?;
                within(n, "it")?;
                Ok(Value::from(n))
            }
            FieldType::Boolean => value.as_bool().map(Value::Bool).ok_or_else(|| "must be true or false".into()),
            FieldType::Date => {
                let s = text()?;
                let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "must be a date YYYY-MM-DD")?;
                Ok(Value::String(date.format("%Y-%m-%d").to_string()))
            }
            FieldType::Datetime => {
                let t = crate::time::parse(text()?).ok_or("must be an RFC 3339 date-time")?;
                Ok(Value::String(crate::time::format(&t)))
            }
            FieldType::Select => {
                let s = text()?;
                if !self.options.iter().any(|o| o == s) {
                    return Err(format!("must be one of {}", self.options.join(", ")));
                }
                Ok(Value::String(s.to_string()))
            }
            FieldType::MultiSelect => {
                let items = value.as_array().ok_or("must be a list of options")?;
                let mut chosen: Vec<String> = Vec::new();
                for item in items {
                    let s = item.as_str().ok_or("must be a list of strings")?;
                    if !self.options.iter().any(|o| o == s) {
                        return Err(format!("{s:?} is not one of {}", self.options.join(", ")));
                    }
                    if !chosen.iter().any(|c| c == s) {
                        chosen.push(s.to_string());
                    }
                }
                within(chosen.len() as f64, "the number of options")?;
                Ok(Value::from(chosen))
            }
            FieldType::Url => {
                let s = text()?;
                length(s)?;
                let ok =
                    (s.starts_with("https://") || s.starts_with("http://")) && validator::ValidateUrl::validate_url(&s);
                if !ok {
                    return Err("must be an http or https URL".into());
                }
                Ok(Value::String(s.to_string()))
            }
            FieldType::Email => {
                let email = Email::parse(text()?)?;
                length(email.as_str())?;
                Ok(Value::String(email.into_string()))
            }
            FieldType::Phone => {
                let phone = Phone::parse(text()?, region)?;
                Ok(Value::String(phone.into_string()))
            }
        }
    }

    /// The rows of the value index for one stored value.
    fn index(&self, value: &Value) -> Vec<IndexedValue> {
        let row = |text: Option<String>, number: Option<f64>| IndexedValue { key: self.key.clone(), text, number };
        match (self.field_type, value) {
            (FieldType::Number | FieldType::Decimal, v) => {
                v.as_f64().map(|n| vec![row(None, Some(n))]).unwrap_or_default()
            }
            (FieldType::Boolean, Value::Bool(b)) => vec![row(Some(b.to_string()), None)],
            (FieldType::MultiSelect, Value::Array(items)) => {
                items.iter().filter_map(Value::as_str).map(|s| row(Some(s.to_string()), None)).collect()
            }
            (_, Value::String(s)) => vec![row(Some(s.clone()), None)],
            _ => Vec::new(),
        }
    }

    fn filter_kind(&self) -> CustomKind {
        match self.field_type {
            FieldType::Number | FieldType::Decimal => CustomKind::Number,
            FieldType::Boolean => CustomKind::Boolean,
            FieldType::Date => CustomKind::Date,
            FieldType::Datetime => CustomKind::DateTime,
            FieldType::MultiSelect => CustomKind::Multi,
            _ => CustomKind::Text,
        }
    }
}

/// Compiles a definition's pattern so that it must match the whole value.
pub fn compile_pattern(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("is not a valid regular expression: {e}"))
}

/// The custom fields of one record type in one organization.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub fields: Vec<Field>,
}

impl Schema {
    /// The region national numbers of phone fields are read in: the organization's, read only
    /// when a live field is a phone.
    pub fn phone_region(&self, conn: &mut DbConnection, scope: &Scope) -> ApiResult<String> {
        if self.fields.iter().any(|f| f.field_type == FieldType::Phone && !f.archived) {
            crate::organizations::phone_region(conn, scope)
        } else {
            Ok(crate::normalize::DEFAULT_REGION.to_string())
        }
    }

    pub fn load(conn: &mut DbConnection, scope: &Scope, record_type: &str) -> ApiResult<Schema> {
        let definitions = model::all_for(conn, scope, record_type)?;
        Ok(Schema { fields: definitions.iter().map(Field::from_definition).collect() })
    }

    fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Checks the values a record is given (`null` removes one) against the definitions and
    /// returns what to store. A value equal to the stored one passes unchecked, so tightening a
    /// rule never blocks edits of other fields; values of archived fields are carried over.
    pub fn check(
        &self,
        given: &Map<String, Value>,
        stored: Option<&Map<String, Value>>,
        pointer: &str,
        region: &str,
    ) -> Result<Map<String, Value>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut out = Map::new();
        let unchanged = |key: &str, value: &Value| stored.and_then(|s| s.get(key)) == Some(value);
        for (key, value) in given {
            if value.is_null() {
                continue;
            }
            let at = format!("{pointer}/{key}");
            match self.field(key) {
                Some(field) if !field.archived => match field.check(value, region) {
                    Ok(canonical) => {
                        out.insert(key.clone(), canonical);
                    }
                    Err(_) if unchanged(key, value) => {
                        out.insert(key.clone(), value.clone());
                    }
                    Err(detail) => errors.push(FieldError::new(at, "invalid_custom_value", detail)),
                },
                _ if unchanged(key, value) => {
                    out.insert(key.clone(), value.clone());
                }
                _ => errors.push(FieldError::new(at, "unknown_custom_field", "no custom field has this key")),
            }
        }
        for field in &self.fields {
            let had = stored.is_some_and(|s| s.contains_key(&field.key));
            if field.archived {
                if let Some(value) = stored.and_then(|s| s.get(&field.key)) {
                    out.insert(field.key.clone(), value.clone());
                }
            } else if field.required && !out.contains_key(&field.key) && (stored.is_none() || had) {
                errors.push(FieldError::new(
                    format!("{pointer}/{}", field.key),
                    "required",
                    "this custom field is required",
                ));
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }

    /// Values given as text (a CSV cell) read as their fields' types: `12` as a number, `yes`
    /// as true, `a; b` as two options. What does not read stays text, for `check` to refuse.
    pub fn from_text(&self, given: Map<String, Value>) -> Map<String, Value> {
        given
            .into_iter()
            .map(|(key, value)| {
                let (Some(field), Value::String(text)) = (self.field(&key), &value) else { return (key, value) };
                let text = text.trim();
                let read = match field.field_type {
                    FieldType::Number => text.parse::<i64>().ok().map(Value::from),
                    FieldType::Decimal => text.parse::<f64>().ok().filter(|n| n.is_finite()).map(Value::from),
                    FieldType::Boolean => match text.to_lowercase().as_str() {
                        "true" | "yes" | "y" | "1" => Some(Value::Bool(true)),
                        "false" | "no" | "n" | "0" => Some(Value::Bool(false)),
                        _ => None,
                    },
                    FieldType::MultiSelect => Some(Value::from(
                        text.split([';', ',']).map(str::trim).filter(|o| !o.is_empty()).collect::<Vec<_>>(),
                    )),
                    _ => None,
                };
                (key, read.unwrap_or(value))
            })
            .collect()
    }

    /// What the API shows of stored values: those of archived fields are hidden.
    pub fn visible(&self, mut stored: Map<String, Value>) -> Map<String, Value> {
        stored.retain(|key, _| self.field(key).is_some_and(|f| !f.archived));
        stored
    }

    /// The value index rows of stored values.
    pub fn index(&self, stored: &Map<String, Value>) -> Vec<IndexedValue> {
        stored.iter().filter_map(|(key, value)| self.field(key).map(|f| f.index(value))).flatten().collect()
    }

    /// The fields the filter language may address as `custom.<key>`.
    pub fn filter_fields(&self) -> Vec<CustomField> {
        self.fields
            .iter()
            .filter(|f| !f.archived)
            .map(|f| CustomField { key: f.key.clone(), kind: f.filter_kind() })
            .collect()
    }
}

/// Parses a stored `custom` column.
pub fn parse_stored(json: &str) -> Map<String, Value> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Checks the values a record is given against its stored ones (`None` for a new record),
/// writes the value index, and returns the JSON to store in the record's `custom` column with
/// the values the API shows of it (archived fields' hidden), from one read of the definitions.
pub fn store(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    record_id: &str,
    given: &Map<String, Value>,
    stored: Option<&str>,
) -> ApiResult<(String, Map<String, Value>)> {
    // A record with no values, given none, keeps none whatever the definitions say (an update
    // only requires what it had): no need to read them.
    if given.is_empty() && stored.is_some_and(|s| parse_stored(s).is_empty()) {
        return Ok(("{}".to_string(), Map::new()));
    }
    let schema = Schema::load(conn, scope, record_type)?;
    let region = schema.phone_region(conn, scope)?;
    let json = store_with(conn, scope, &schema, &region, record_type, record_id, given, stored)?;
    let shown = schema.visible(parse_stored(&json));
    Ok((json, shown))
}

/// [`store`] with the definitions and phone region already read (once for a whole batch).
#[allow(clippy::too_many_arguments)]
pub fn store_with(
    conn: &mut DbConnection,
    scope: &Scope,
    schema: &Schema,
    region: &str,
    record_type: &str,
    record_id: &str,
    given: &Map<String, Value>,
    stored: Option<&str>,
) -> ApiResult<String> {
    let (json, index) = checked(schema, region, given, stored)?;
    if let Some(index) = index {
        model::set_values(conn, scope, record_type, record_id, &index)?;
    }
    Ok(json)
}

/// A new record's custom values, checked and not written yet.
pub struct NewValues {
    /// Its `custom` column.
    pub json: String,
    /// What the API shows of them.
    pub shown: Map<String, Value>,
    /// The `INSERT` of its value index (none for no values), to go with its row.
    pub index: Option<Vec<crate::sql::Piece>>,
}

/// [`store`] for a record not written yet, writing nothing.
pub fn for_new_record(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    record_id: &str,
    given: &Map<String, Value>,
) -> ApiResult<NewValues> {
    let schema = Schema::load(conn, scope, record_type)?;
    let region = schema.phone_region(conn, scope)?;
    let (json, index) = checked(&schema, &region, given, None)?;
    let index = index.and_then(|index| model::value_rows(scope, record_type, record_id, &index));
    let shown = schema.visible(parse_stored(&json));
    Ok(NewValues { json, shown, index })
}

/// The `custom` column's JSON for the values given, and the rows of the value index when they
/// changed from `stored`.
fn checked(
    schema: &Schema,
    region: &str,
    given: &Map<String, Value>,
    stored: Option<&str>,
) -> ApiResult<(String, Option<Vec<IndexedValue>>)> {
    let before = stored.map(parse_stored);
    let after = schema.check(given, before.as_ref(), "/custom", region).map_err(crate::error::ApiError::validation)?;
    let untouched = before.as_ref().is_none_or(Map::is_empty) && after.is_empty() || before.as_ref() == Some(&after);
    let index = (!untouched).then(|| schema.index(&after));
    Ok((serde_json::to_string(&after)?, index))
}

/// What the API shows of a record's stored values (reads the definitions only when there are some).
pub fn visible(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    stored: Map<String, Value>,
) -> ApiResult<Map<String, Value>> {
    if stored.is_empty() {
        return Ok(stored);
    }
    Ok(Schema::load(conn, scope, record_type)?.visible(stored))
}

/// Sets the values given on `base`; `null` removes one (a merge patch of the `custom` object).
pub fn merge(base: &mut Map<String, Value>, given: Map<String, Value>) {
    for (key, value) in given {
        if value.is_null() {
            base.remove(&key);
        } else {
            base.insert(key, value);
        }
    }
}

/// Applies a patch of `custom` to a draft: absent keeps, `null` clears all, an object merges.
pub fn apply_patch(draft: &mut Option<Map<String, Value>>, patch: crate::http::Patch<Map<String, Value>>) {
    match patch {
        crate::http::Patch::Absent => {}
        crate::http::Patch::Null => *draft = Some(Map::new()),
        crate::http::Patch::Value(given) => merge(draft.get_or_insert_with(Map::new), given),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(field_type: FieldType) -> Field {
        Field {
            key: "k".into(),
            field_type,
            required: false,
            min: None,
            max: None,
            pattern: None,
            options: vec!["a".into(), "b".into()],
            archived: false,
        }
    }

    #[test]
    fn values_are_checked_and_made_canonical() {
        assert_eq!(field(FieldType::Email).check(&json!(" Ada@Example.COM "), "US").unwrap(), json!("ada@example.com"));
        assert_eq!(
            field(FieldType::Datetime).check(&json!("2026-01-02T03:04:05+01:00"), "US").unwrap(),
            json!("2026-01-02T02:04:05Z")
        );
        assert_eq!(field(FieldType::MultiSelect).check(&json!(["b", "a", "b"]), "US").unwrap(), json!(["b", "a"]));
        assert!(field(FieldType::Select).check(&json!("c"), "US").is_err());
        assert!(field(FieldType::Number).check(&json!(1.5), "US").is_err());
        assert!(field(FieldType::Url).check(&json!("ftp://x"), "US").is_err());
        let mut bounded = field(FieldType::Decimal);
        bounded.max = Some(10.0);
        assert!(bounded.check(&json!(10.5), "US").is_err());
        let mut patterned = field(FieldType::Text);
        patterned.pattern = compile_pattern("[A-Z]{3}").ok();
        assert!(patterned.check(&json!("ABC"), "US").is_ok());
        assert!(patterned.check(&json!("ABCD"), "US").is_err());
    }

    #[test]
    fn stored_values_survive_rule_changes_and_archiving() {
        let mut strict = field(FieldType::Select);
        strict.options = vec!["a".into()];
        let mut gone = field(FieldType::Text);
        gone.key = "old".into();
        gone.archived = true;
        let schema = Schema { fields: vec![strict, gone] };
        let stored = json!({"k": "b", "old": "kept"}).as_object().cloned().unwrap();
        let given = json!({"k": "b"}).as_object().cloned().unwrap();
        assert_eq!(schema.check(&given, Some(&stored), "/custom", "US").unwrap(), stored);
        let changed = json!({"k": "c"}).as_object().cloned().unwrap();
        assert_eq!(schema.check(&changed, Some(&stored), "/custom", "US").unwrap_err()[0].pointer, "/custom/k");
        assert_eq!(schema.visible(stored).len(), 1);
    }
}
