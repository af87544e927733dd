//! The one filter language (search, segments, workflow conditions, reports):
//! `{"all": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}, {"any": [...]}, {"not": {...}}]}`.
//!
//! A resource describes its filterable fields once ([`FieldSpec`]); [`compile`] checks a filter
//! against them (unknown fields, operators or value types are a 422 with a pointer) and turns
//! it into a SQL condition with bound values, the same on SQLite and PostgreSQL.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Text, Timestamp};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};

type Backend = <DbConnection as Connection>::Backend;

/// A compiled condition usable in a boxed query over `QS`.
pub type Condition<QS> = Box<dyn BoxableExpression<QS, Backend, SqlType = Bool>>;

const MAX_DEPTH: usize = 5;
const MAX_CONDITIONS: usize = 50;

/// A filter: a condition, or `all` / `any` / `not` of filters.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Filter {
    All {
        all: Vec<Filter>,
    },
    Any {
        any: Vec<Filter>,
    },
    Not {
        not: Box<Filter>,
    },
    Condition {
        field: String,
        /// `eq`, `ne`, `lt`, `lte`, `gt`, `gte`, `in`, `not_in`, `contains`, `starts_with`, `is_set`.
        op: String,
        #[serde(default)]
        value: Value,
    },
}

/// How a field is stored and so which operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text: eq, ne, in, not_in (exact), contains, starts_with (ignoring case), is_set.
    Text,
    /// One of a closed set of values: eq, ne, in, not_in, is_set.
    Enum(&'static [&'static str]),
    /// RFC 3339 values: eq, ne, lt, lte, gt, gte, is_set.
    Time,
    /// Whole numbers: eq, ne, lt, lte, gt, gte, in, not_in, is_set.
    Integer,
    /// Calendar dates `YYYY-MM-DD`, stored as that text (which sorts as the dates do): eq, ne,
    /// lt, lte, gt, gte, in, not_in, is_set.
    Date,
    /// Tags of the record (`record_tags`): `contains` a tag, `in` any of several, `is_set`.
    Tags,
}

/// A filterable field: its API name, the SQL column (or the record's id column for tags) and kind.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: Kind,
}

/// A custom field as the filter language sees it: `custom.<key>`.
#[derive(Debug, Clone)]
pub struct CustomField {
    pub key: String,
    pub kind: CustomKind,
}

/// How a custom field's values compare (see `custom_fields`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomKind {
    /// Text, select, url, e-mail, phone: like `Kind::Text`.
    Text,
    /// Number and decimal: eq, ne, lt, lte, gt, gte, in, not_in, is_set.
    Number,
    /// eq, ne, is_set.
    Boolean,
    /// `YYYY-MM-DD`: eq, ne, lt, lte, gt, gte, in, not_in, is_set.
    Date,
    /// RFC 3339: eq, ne, lt, lte, gt, gte, is_set.
    DateTime,
    /// Multi-select: `contains` an option, `in` any of several, `is_set`.
    Multi,
}

/// What the compiler needs to know about the resource.
pub struct Spec<'a> {
    pub fields: &'a [FieldSpec],
    /// For `Kind::Tags` and custom fields: the record type in `record_tags` / `custom_field_values`.
    pub record_type: &'static str,
    /// The record's id column, which tags and custom fields are matched on.
    pub id_column: &'static str,
    pub org_id: &'a str,
    /// The organization's custom fields of this record type.
    pub custom: &'a [CustomField],
}

/// Checks `filter` and compiles it to one SQL condition.
pub fn compile<QS: 'static>(filter: &Filter, spec: &Spec<'_>, pointer: &str) -> ApiResult<Condition<QS>> {
    let mut budget = MAX_CONDITIONS;
    compile_at(filter, spec, pointer, 0, &mut budget)
}

fn compile_at<QS: 'static>(
    filter: &Filter,
    spec: &Spec<'_>,
    pointer: &str,
    depth: usize,
    budget: &mut usize,
) -> ApiResult<Condition<QS>> {
    if depth > MAX_DEPTH {
        return Err(ApiError::invalid_field(pointer, "too_deep", format!("filters nest at most {MAX_DEPTH} levels")));
    }
    match filter {
        Filter::All { all } => combine(all, spec, &format!("{pointer}/all"), depth, budget, true),
        Filter::Any { any } => combine(any, spec, &format!("{pointer}/any"), depth, budget, false),
        Filter::Not { not } => {
            let inner = compile_at::<QS>(not, spec, &format!("{pointer}/not"), depth + 1, budget)?;
            Ok(Box::new(diesel::dsl::not(inner)))
        }
        Filter::Condition { field, op, value } => {
            if *budget == 0 {
                return Err(ApiError::invalid_field(
                    pointer,
                    "too_many_conditions",
                    format!("at most {MAX_CONDITIONS} conditions"),
                ));
            }
            *budget -= 1;
            condition(field, op, value, spec, pointer)
        }
    }
}

fn combine<QS: 'static>(
    items: &[Filter],
    spec: &Spec<'_>,
    pointer: &str,
    depth: usize,
    budget: &mut usize,
    all: bool,
) -> ApiResult<Condition<QS>> {
    if items.is_empty() {
        return Err(ApiError::invalid_field(pointer, "empty", "give at least one filter"));
    }
    let mut combined: Option<Condition<QS>> = None;
    for (i, item) in items.iter().enumerate() {
        let next = compile_at::<QS>(item, spec, &format!("{pointer}/{i}"), depth + 1, budget)?;
        combined = Some(match combined {
            None => next,
            Some(prev) if all => Box::new(prev.and(next)),
            Some(prev) => Box::new(prev.or(next)),
        });
    }
    combined.ok_or_else(|| ApiError::invalid_field(pointer, "empty", "give at least one filter"))
}

/// One value of a condition, checked against the field's kind.
enum Scalar {
    Text(String),
    Time(NaiveDateTime),
    Integer(i64),
}

fn scalar(kind: Kind, value: &Value, pointer: &str) -> ApiResult<Scalar> {
    let bad = |what: &str| ApiError::invalid_field(pointer, "invalid_value", format!("must be {what}"));
    match kind {
        Kind::Text | Kind::Tags => value.as_str().map(|s| Scalar::Text(s.to_string())).ok_or_else(|| bad("a string")),
        Kind::Enum(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => Ok(Scalar::Text(s.to_string())),
            _ => Err(bad(&format!("one of {}", allowed.join(", ")))),
        },
        Kind::Time => {
            value.as_str().and_then(crate::time::parse).map(Scalar::Time).ok_or_else(|| bad("an RFC 3339 date-time"))
        }
        Kind::Integer => value.as_i64().map(Scalar::Integer).ok_or_else(|| bad("an integer")),
        Kind::Date => value
            .as_str()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(|d| Scalar::Text(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| bad("a date YYYY-MM-DD")),
    }
}

fn compare<QS: 'static>(column: &str, operator: &str, value: Scalar) -> Condition<QS> {
    let prefix = format!("{column} {operator} ");
    match value {
        Scalar::Text(v) => Box::new(sql::<Bool>(&prefix).bind::<Text, _>(v)),
        Scalar::Time(v) => Box::new(sql::<Bool>(&prefix).bind::<Timestamp, _>(v)),
        Scalar::Integer(v) => Box::new(sql::<Bool>(&prefix).bind::<BigInt, _>(v)),
    }
}

/// `text` with LIKE's wildcards and escape character escaped (for `LIKE … ESCAPE '\\'`).
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn like_pattern(value: &str, leading_wildcard: bool) -> String {
    let escaped = escape_like(&value.to_lowercase());
    if leading_wildcard { format!("%{escaped}%") } else { format!("{escaped}%") }
}

fn has_tag<QS: 'static>(spec: &Spec<'_>, column: &str, tag: String) -> Condition<QS> {
    tagged(spec.org_id, spec.record_type, column, tag)
}

/// The condition that the record whose id is `id_column` (a constant) carries `tag`: for the
/// lists of domains whose tables diesel cannot join with crm-core's `record_tags` in a typed
/// query (see [`crate::records::tagged_ids`] for crm-core's own).
pub fn tagged<QS: 'static>(org_id: &str, record_type: &'static str, id_column: &str, tag: String) -> Condition<QS> {
    let head =
        format!("{id_column} IN (SELECT record_id FROM record_tags WHERE record_type = '{record_type}' AND org_id = ");
    Box::new(sql::<Bool>(&head).bind::<Text, _>(org_id.to_string()).sql(" AND tag = ").bind::<Text, _>(tag).sql(")"))
}

fn condition<QS: 'static>(
    field: &str,
    op: &str,
    value: &Value,
    spec: &Spec<'_>,
    pointer: &str,
) -> ApiResult<Condition<QS>> {
    if let Some(key) = field.strip_prefix("custom.")
        && let Some(custom) = spec.custom.iter().find(|c| c.key == key)
    {
        return custom_condition(custom, op, value, spec, pointer);
    }
    let Some(field_spec) = spec.fields.iter().find(|f| f.name == field) else {
        let mut names: Vec<String> = spec.fields.iter().map(|f| f.name.to_string()).collect();
        names.extend(spec.custom.iter().map(|c| format!("custom.{}", c.key)));
        return Err(ApiError::invalid_field(
            &format!("{pointer}/field"),
            "unknown_field",
            format!("filterable fields: {}", names.join(", ")),
        ));
    };
    let (column, kind) = (field_spec.column, field_spec.kind);
    let value_pointer = format!("{pointer}/value");
    let unsupported = || {
        ApiError::invalid_field(
            &format!("{pointer}/op"),
            "unknown_operator",
            format!("{op:?} does not apply to {field}"),
        )
    };
    let list = |value: &Value| -> ApiResult<Vec<Scalar>> {
        let items = value.as_array().filter(|a| !a.is_empty() && a.len() <= 100).ok_or_else(|| {
            ApiError::invalid_field(&value_pointer, "invalid_value", "must be a list of 1 to 100 values")
        })?;
        items.iter().enumerate().map(|(i, v)| scalar(kind, v, &format!("{value_pointer}/{i}"))).collect()
    };
    let any_of = |conditions: Vec<Condition<QS>>| -> Condition<QS> {
        conditions.into_iter().reduce(|a, b| Box::new(a.or(b))).unwrap_or_else(|| Box::new(sql::<Bool>("1 = 0")))
    };
    match (kind, op) {
        (_, "is_set") => {
            let set = value
                .as_bool()
                .ok_or_else(|| ApiError::invalid_field(&value_pointer, "invalid_value", "must be true or false"))?;
            if kind == Kind::Tags {
                let head = format!(
                    "{column} {}IN (SELECT record_id FROM record_tags WHERE record_type = '{}' AND org_id = ",
                    if set { "" } else { "NOT " },
                    spec.record_type
                );
                return Ok(Box::new(sql::<Bool>(&head).bind::<Text, _>(spec.org_id.to_string()).sql(")")));
            }
            Ok(Box::new(sql::<Bool>(&format!("{column} IS {}NULL", if set { "NOT " } else { "" }))))
        }
        (Kind::Tags, "contains") => match scalar(kind, value, &value_pointer)? {
            Scalar::Text(tag) => Ok(has_tag(spec, column, tag)),
            _ => Err(unsupported()),
        },
        (Kind::Tags, "in") => {
            let tags = list(value)?;
            Ok(any_of(
                tags.into_iter()
                    .filter_map(|t| if let Scalar::Text(t) = t { Some(has_tag(spec, column, t)) } else { None })
                    .collect(),
            ))
        }
        (Kind::Tags, _) => Err(unsupported()),
        (Kind::Text, "contains" | "starts_with") => {
            let Scalar::Text(text) = scalar(kind, value, &value_pointer)? else { return Err(unsupported()) };
            let pattern = like_pattern(&text, op == "contains");
            Ok(Box::new(sql::<Bool>(&format!("lower({column}) LIKE ")).bind::<Text, _>(pattern).sql(" ESCAPE '\\'")))
        }
        (_, "eq") => Ok(compare(column, "=", scalar(kind, value, &value_pointer)?)),
        (_, "ne") => {
            let inner = compare::<QS>(column, "=", scalar(kind, value, &value_pointer)?);
            Ok(Box::new(sql::<Bool>(&format!("{column} IS NULL")).or(diesel::dsl::not(inner))))
        }
        (Kind::Time | Kind::Integer | Kind::Date, "lt" | "lte" | "gt" | "gte") => {
            let operator = match op {
                "lt" => "<",
                "lte" => "<=",
                "gt" => ">",
                _ => ">=",
            };
            Ok(compare(column, operator, scalar(kind, value, &value_pointer)?))
        }
        (Kind::Text | Kind::Enum(_) | Kind::Integer | Kind::Date, "in") => {
            Ok(any_of(list(value)?.into_iter().map(|v| compare(column, "=", v)).collect()))
        }
        (Kind::Text | Kind::Enum(_) | Kind::Integer | Kind::Date, "not_in") => {
            let matches = any_of(list(value)?.into_iter().map(|v| compare(column, "=", v)).collect());
            Ok(Box::new(sql::<Bool>(&format!("{column} IS NULL")).or(diesel::dsl::not(matches))))
        }
        _ => Err(unsupported()),
    }
}

/// A value of a custom field condition, in the form the value index stores.
enum Stored {
    Text(String),
    Number(f64),
}

fn custom_value(kind: CustomKind, value: &Value, pointer: &str) -> ApiResult<Stored> {
    let bad = |what: &str| ApiError::invalid_field(pointer, "invalid_value", format!("must be {what}"));
    match kind {
        CustomKind::Text | CustomKind::Multi => {
            value.as_str().map(|s| Stored::Text(s.to_string())).ok_or_else(|| bad("a string"))
        }
        CustomKind::Number => value.as_f64().map(Stored::Number).ok_or_else(|| bad("a number")),
        CustomKind::Boolean => value.as_bool().map(|b| Stored::Text(b.to_string())).ok_or_else(|| bad("true or false")),
        CustomKind::Date => value
            .as_str()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(|d| Stored::Text(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| bad("a date YYYY-MM-DD")),
        CustomKind::DateTime => value
            .as_str()
            .and_then(crate::time::parse)
            .map(|t| Stored::Text(crate::time::format(&t)))
            .ok_or_else(|| bad("an RFC 3339 date-time")),
    }
}

/// `<id> IN (the records whose value of the field satisfies <predicate> <value>)`.
fn has_custom_value<QS: 'static>(spec: &Spec<'_>, key: &str, predicate: &str, value: Option<Stored>) -> Condition<QS> {
    let head = format!(
        "{} IN (SELECT record_id FROM custom_field_values WHERE record_type = '{}' AND org_id = ",
        spec.id_column, spec.record_type
    );
    let base = sql::<Bool>(&head)
        .bind::<Text, _>(spec.org_id.to_string())
        .sql(" AND field_key = ")
        .bind::<Text, _>(key.to_string());
    match value {
        None => Box::new(base.sql(")")),
        Some(Stored::Text(v)) => Box::new(base.sql(predicate).bind::<Text, _>(v).sql(")")),
        Some(Stored::Number(v)) => Box::new(base.sql(predicate).bind::<Double, _>(v).sql(")")),
    }
}

fn custom_condition<QS: 'static>(
    custom: &CustomField,
    op: &str,
    value: &Value,
    spec: &Spec<'_>,
    pointer: &str,
) -> ApiResult<Condition<QS>> {
    let (kind, key) = (custom.kind, custom.key.as_str());
    let value_pointer = format!("{pointer}/value");
    let unsupported = || {
        ApiError::invalid_field(
            &format!("{pointer}/op"),
            "unknown_operator",
            format!("{op:?} does not apply to custom.{key}"),
        )
    };
    let column = if kind == CustomKind::Number { "number_value" } else { "text_value" };
    let one = |value: &Value| custom_value(kind, value, &value_pointer);
    let equal = |v: Stored| has_custom_value::<QS>(spec, key, &format!(" AND {column} = "), Some(v));
    let any_equal = |value: &Value| -> ApiResult<Condition<QS>> {
        let items = value.as_array().filter(|a| !a.is_empty() && a.len() <= 100).ok_or_else(|| {
            ApiError::invalid_field(&value_pointer, "invalid_value", "must be a list of 1 to 100 values")
        })?;
        let mut combined: Option<Condition<QS>> = None;
        for (i, item) in items.iter().enumerate() {
            let next = equal(custom_value(kind, item, &format!("{value_pointer}/{i}"))?);
            combined = Some(match combined {
                None => next,
                Some(prev) => Box::new(prev.or(next)),
            });
        }
        combined.ok_or_else(unsupported)
    };
    let ordered = matches!(kind, CustomKind::Number | CustomKind::Date | CustomKind::DateTime);
    match op {
        "is_set" => {
            let set = value
                .as_bool()
                .ok_or_else(|| ApiError::invalid_field(&value_pointer, "invalid_value", "must be true or false"))?;
            let present = has_custom_value::<QS>(spec, key, "", None);
            Ok(if set { present } else { Box::new(diesel::dsl::not(present)) })
        }
        "eq" if kind != CustomKind::Multi => Ok(equal(one(value)?)),
        "contains" if kind == CustomKind::Multi => Ok(equal(one(value)?)),
        "ne" if kind != CustomKind::Multi => Ok(Box::new(diesel::dsl::not(equal(one(value)?)))),
        "in" if kind != CustomKind::Boolean && kind != CustomKind::DateTime => any_equal(value),
        "not_in" if !matches!(kind, CustomKind::Boolean | CustomKind::DateTime | CustomKind::Multi) => {
            Ok(Box::new(diesel::dsl::not(any_equal(value)?)))
        }
        "lt" | "lte" | "gt" | "gte" if ordered => {
            let operator = match op {
                "lt" => "<",
                "lte" => "<=",
                "gt" => ">",
                _ => ">=",
            };
            Ok(has_custom_value(spec, key, &format!(" AND {column} {operator} "), Some(one(value)?)))
        }
        "contains" | "starts_with" if kind == CustomKind::Text => {
            let Stored::Text(text) = one(value)? else { return Err(unsupported()) };
            let pattern = like_pattern(&text, op == "contains");
            let head = format!(
                "{} IN (SELECT record_id FROM custom_field_values WHERE record_type = '{}' AND org_id = ",
                spec.id_column, spec.record_type
            );
            Ok(Box::new(
                sql::<Bool>(&head)
                    .bind::<Text, _>(spec.org_id.to_string())
                    .sql(" AND field_key = ")
                    .bind::<Text, _>(key.to_string())
                    .sql(" AND lower(text_value) LIKE ")
                    .bind::<Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            ))
        }
        _ => Err(unsupported()),
    }
}

/// A filter given as JSON in a list's `filter` query parameter (`None` without one).
pub fn from_query(raw: Option<&str>) -> ApiResult<Option<Filter>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    crate::http::parse_json::<Filter>(raw.as_bytes()).map(Some).map_err(|_| {
        ApiError::invalid_field("/filter", "invalid_filter", "must be a filter of the filter language, as JSON")
    })
}

/// `POST /v1/<resource>/search`: a filter, free text, and the usual paging.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "filter": {"all": [{"field": "tags", "op": "contains", "value": "vip"}, {"field": "created_at", "op": "gte", "value": "2026-01-01T00:00:00Z"}]},
    "query": "ada", "sort": "-created_at", "limit": 50
}))]
pub struct SearchRequest {
    /// The filter language: a condition `{"field", "op", "value"}`, or `{"all": [...]}`,
    /// `{"any": [...]}`, `{"not": {...}}` of filters (described as an object here because
    /// recursive unions defeat several SDK generators).
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Filter>,
    /// Free text, matched ignoring case against the resource's text fields (contacts: name,
    /// e-mail, phone; companies: name, domain).
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub query: Option<String>,
    /// A sortable field of the resource (or `custom.<key>`), `-` for descending.
    #[schema(pattern = "^-?([a-z_]+|custom\\.[a-z][a-z0-9_]{0,62})$")]
    pub sort: Option<String>,
    /// 1–200, default 50.
    #[schema(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (with the same filter and sort).
    pub cursor: Option<String>,
}

impl SearchRequest {
    /// What a list endpoint asks for: its `?filter=` and its paging, without free text.
    pub fn of_list(filter: Option<Filter>, paging: crate::http::ListQuery) -> SearchRequest {
        SearchRequest { filter, query: None, sort: paging.sort, limit: paging.limit, cursor: paging.cursor }
    }

    pub fn paging(&self) -> crate::http::ListQuery {
        crate::http::ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }

    /// The free text as a filter over `text_fields` (`None` without text).
    pub fn text_filter(&self, text_fields: &[&str]) -> Option<Filter> {
        self.query.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(|q| Filter::Any {
            any: text_fields
                .iter()
                .map(|field| Filter::Condition {
                    field: field.to_string(),
                    op: "contains".into(),
                    value: Value::String(q.to_string()),
                })
                .collect(),
        })
    }

    /// The filter at `/filter` and the free text at `/query`, compiled for one resource.
    pub fn conditions<QS: 'static>(&self, spec: &Spec<'_>, text_fields: &[&str]) -> ApiResult<Vec<Condition<QS>>> {
        let mut conditions = Vec::new();
        if let Some(filter) = &self.filter {
            conditions.push(compile(filter, spec, "/filter")?);
        }
        if let Some(text) = self.text_filter(text_fields) {
            conditions.push(compile(&text, spec, "/query")?);
        }
        Ok(conditions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[FieldSpec] = &[
        FieldSpec { name: "name", column: "t.name", kind: Kind::Text },
        FieldSpec { name: "stage", column: "t.stage", kind: Kind::Enum(&["lead", "customer"]) },
        FieldSpec { name: "created_at", column: "t.created_at", kind: Kind::Time },
    ];

    fn check(json: Value) -> ApiResult<()> {
        let filter: Filter = serde_json::from_value(json).map_err(ApiError::internal)?;
        let spec = Spec { fields: FIELDS, record_type: "thing", id_column: "t.id", org_id: "org_1", custom: &[] };
        compile::<crate::schema::users::table>(&filter, &spec, "/filter").map(|_| ())
    }

    #[test]
    fn valid_filters_compile() {
        assert!(check(serde_json::json!({"all": [{"field": "stage", "op": "in", "value": ["lead"]}, {"not": {"field": "name", "op": "contains", "value": "x"}}]})).is_ok());
        assert!(
            check(serde_json::json!({"field": "created_at", "op": "gte", "value": "2026-01-01T00:00:00Z"})).is_ok()
        );
    }

    #[test]
    fn bad_filters_point_at_the_problem() {
        let unknown = check(serde_json::json!({"all": [{"field": "colour", "op": "eq", "value": "red"}]})).unwrap_err();
        assert_eq!(unknown.errors[0].pointer, "/filter/all/0/field");
        let op = check(serde_json::json!({"field": "created_at", "op": "contains", "value": "x"})).unwrap_err();
        assert_eq!(op.errors[0].pointer, "/filter/op");
        let value = check(serde_json::json!({"field": "stage", "op": "eq", "value": "royalty"})).unwrap_err();
        assert_eq!(value.errors[0].pointer, "/filter/value");
        let time = check(serde_json::json!({"field": "created_at", "op": "lt", "value": "yesterday"})).unwrap_err();
        assert_eq!(time.errors[0].code, "invalid_value");
        assert!(check(serde_json::json!({"any": []})).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// JSON shaped like filters: mostly the language's own keys and operators, with
        /// arbitrary values, nested a few levels.
        fn filters() -> impl Strategy<Value = Value> {
            let scalar = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                ".{0,20}".prop_map(Value::from),
                Just(Value::from("2026-01-01T00:00:00Z")),
                Just(Value::from("lead")),
            ];
            let field = prop_oneof![Just("name"), Just("stage"), Just("created_at"), Just("custom.tier"), Just("x")];
            let op = prop_oneof![
                Just("eq"),
                Just("ne"),
                Just("lt"),
                Just("lte"),
                Just("gt"),
                Just("gte"),
                Just("in"),
                Just("not_in"),
                Just("contains"),
                Just("starts_with"),
                Just("is_set"),
                Just("like")
            ];
            let value = prop_oneof![scalar.clone(), prop::collection::vec(scalar, 0..4).prop_map(Value::from)];
            let condition =
                (field, op, value).prop_map(|(f, o, v)| serde_json::json!({"field": f, "op": o, "value": v}));
            condition.prop_recursive(4, 40, 5, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(|all| serde_json::json!({"all": all})),
                    prop::collection::vec(inner.clone(), 0..5).prop_map(|any| serde_json::json!({"any": any})),
                    inner.prop_map(|not| serde_json::json!({"not": not})),
                ]
            })
        }

        proptest! {
            /// A filter compiles or is refused with a 4xx pointing into it; never a panic.
            #[test]
            fn any_filter_compiles_or_is_refused(json in filters()) {
                let text = json.to_string();
                match from_query(Some(&text)) {
                    Ok(Some(filter)) => {
                        let spec = Spec { fields: FIELDS, record_type: "thing", id_column: "t.id", org_id: "org_1", custom: &[] };
                        if let Err(e) = compile::<crate::schema::users::table>(&filter, &spec, "/filter") {
                            prop_assert!(e.status.is_client_error(), "{e}");
                            prop_assert!(e.errors.iter().all(|f| f.pointer.starts_with("/filter")), "{:?}", e.errors);
                        }
                    }
                    Ok(None) => {}
                    Err(e) => prop_assert!(e.status.is_client_error(), "{e}"),
                }
            }

            /// Any text as `?filter=`: read or a 4xx.
            #[test]
            fn any_query_text_is_read_or_refused(raw in ".{0,200}") {
                if let Err(e) = from_query(Some(&raw)) {
                    prop_assert!(e.status.is_client_error(), "{e}");
                }
            }
        }
    }
}
