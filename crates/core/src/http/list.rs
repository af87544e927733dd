//! Lists: `limit` (1–200, default 50), an opaque keyset `cursor`, and `sort` over a
//! resource's documented fields (`-` for descending), ties broken by id.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::sql::{Fragment, Piece};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The paging parameters every list takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items per page, 1–200.
    #[param(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A sortable field, `-` before it for descending (`-created_at`).
    pub sort: Option<String>,
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Whether another page follows.
    pub has_more: bool,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

/// The field a list is sorted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub field: &'static str,
    pub desc: bool,
}

/// Where the previous page ended: the sort value and id of its last item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "f")]
    pub field: String,
    #[serde(rename = "d")]
    pub desc: bool,
    #[serde(rename = "v")]
    pub value: String,
    #[serde(rename = "i")]
    pub id: String,
}

/// What a list request asks for, checked: page size, sort and where to start.
#[derive(Debug, Clone)]
pub struct ListPlan {
    pub limit: i64,
    /// `field` is `"expression"` when the list is sorted by `by_expression`.
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub by_expression: Option<SqlSort>,
}

impl ListPlan {
    /// The sort's name as the API spells it (`created_at`, `email`, `custom.tier`).
    pub fn sort_name(&self) -> String {
        match &self.by_expression {
            Some(sort) => sort.name.clone(),
            None => self.sort.field.to_string(),
        }
    }
}

/// How a sort field compares, and how its cursor value is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    Text,
    Number,
    /// Kept in the cursor as RFC 3339. Never `nullable`.
    Time,
}

/// One sortable field of a resource: the one place its ORDER BY, its keyset condition and its
/// cursor value come from.
pub struct SortField<R> {
    /// How the API names it (`created_at`, `email`).
    pub name: &'static str,
    /// The SQL column, qualified with its table (`contacts.created_at`).
    pub column: &'static str,
    pub kind: SortKind,
    /// Nulls sort first ascending, through `COALESCE` (which no index serves).
    pub nullable: bool,
    /// The row's value as the cursor keeps it.
    pub value: fn(&R) -> Option<String>,
}

/// Everything a resource's records sort by: its fields, and `custom.<key>` of its custom fields.
pub struct Sorts<R: 'static> {
    pub fields: &'static [SortField<R>],
    /// The field a list is sorted by when the request names none.
    pub default: &'static str,
    /// The id column (`contacts.id`): ties are broken by id.
    pub id_column: &'static str,
    pub id: fn(&R) -> &str,
    /// The row's stored custom values (a JSON object), for `custom.<key>` sorts.
    pub custom: fn(&R) -> &str,
}

/// `custom.<key>` as a sort: the shape of a custom field's key.
const CUSTOM_SORT_PATTERN: &str = r"custom\.[a-z][a-z0-9_]{0,62}";

impl<R> Sorts<R> {
    /// The contract's pattern for the list's `sort`: a field, or `custom.<key>` when the list
    /// sorts by custom fields, `-` before it for descending. Each list's query states it as a
    /// literal (utoipa takes no other), which a test compares with this.
    pub fn pattern(&self, custom: bool) -> String {
        let mut names: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
        if custom {
            names.push(CUSTOM_SORT_PATTERN);
        }
        format!("^-?({})$", names.join("|"))
    }

    /// Checks limit, sort (a field, or `custom.<key>` of one of `custom`, not multi-selects)
    /// and cursor in one go.
    pub fn plan(&self, query: &ListQuery, custom: &[crate::filter::CustomField]) -> ApiResult<ListPlan> {
        use crate::filter::CustomKind;
        let limit = query.limit()?;
        let raw = query.sort.as_deref().unwrap_or(self.default);
        let (desc, name) = direction(raw);
        let by = if let Some(key) = name.strip_prefix("custom.") {
            let field = custom.iter().find(|c| c.key == key && c.kind != CustomKind::Multi).ok_or_else(|| {
                ApiError::bad_request("invalid_sort", format!("custom.{key} is not a sortable custom field."))
            })?;
            let kind = if field.kind == CustomKind::Number { SortKind::Number } else { SortKind::Text };
            SqlSort {
                name: format!("custom.{key}"),
                source: SortSource::Custom(field.key.clone()),
                kind,
                nullable: true,
            }
        } else {
            let field = self.fields.iter().find(|f| f.name == name).ok_or_else(|| {
                let names: Vec<_> = self.fields.iter().map(|f| f.name).collect();
                let custom = if custom.is_empty() { "" } else { ", or custom.<key>" };
                ApiError::bad_request(
                    "invalid_sort",
                    format!("sort must be one of {}{custom}, with an optional leading -.", names.join(", ")),
                )
            })?;
            SqlSort {
                name: field.name.to_string(),
                source: SortSource::Column(field.column),
                kind: field.kind,
                nullable: field.nullable,
            }
        };
        let after = query.cursor_named(&by.name, desc)?;
        Ok(ListPlan { limit, sort: Sort { field: "expression", desc }, after, by_expression: Some(by) })
    }

    /// A plan sorted by the field `name` (not `custom.<key>`), for a list the code pages
    /// itself (a timeline's sources): `limit` rows after `after`.
    pub fn plan_by(&self, name: &str, desc: bool, limit: i64, after: Option<Cursor>) -> ApiResult<ListPlan> {
        let field = self
            .fields
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| ApiError::internal(format!("no sort field {name}")))?;
        let by = SqlSort {
            name: field.name.to_string(),
            source: SortSource::Column(field.column),
            kind: field.kind,
            nullable: field.nullable,
        };
        Ok(ListPlan { limit, sort: Sort { field: "expression", desc }, after, by_expression: Some(by) })
    }

    /// The cursor position (sort value, id) of a row in a list planned by [`Sorts::plan`].
    pub fn position(&self, plan: &ListPlan, row: &R) -> (String, String) {
        let id = (self.id)(row).to_string();
        let Some(by) = &plan.by_expression else { return (String::new(), id) };
        let value = match &by.source {
            SortSource::Custom(_) => by.custom_value(&crate::custom_fields::values::parse_stored((self.custom)(row))),
            SortSource::Column(_) => {
                by.value_text(self.fields.iter().find(|f| f.name == by.name).and_then(|f| (f.value)(row)))
            }
        };
        (value, id)
    }

    /// The ORDER BY of the plan, and the condition for the rows after its cursor.
    pub fn keyset<QS: 'static>(
        &self,
        plan: &ListPlan,
    ) -> ApiResult<(Fragment<diesel::sql_types::Text>, Option<crate::filter::Condition<QS>>)> {
        match &plan.by_expression {
            Some(by) => by.keyset(self.id_column, plan.sort.desc, plan.after.clone()),
            None => Err(ApiError::internal("a list of this resource was planned without its sorts")),
        }
    }
}

/// What a sort reads.
#[derive(Debug, Clone, PartialEq)]
pub enum SortSource {
    /// A custom field's key: read from the value index through a subquery.
    Custom(String),
    /// A column of the record's table.
    Column(&'static str),
}

/// A sort on an SQL expression (a column or a custom field), paged with a keyset over it.
#[derive(Debug, Clone)]
pub struct SqlSort {
    /// How the API names it: `email`, `custom.tier`.
    pub name: String,
    pub source: SortSource,
    pub kind: SortKind,
    pub nullable: bool,
}

/// What a record without a value sorts as: first ascending, last descending.
const MISSING_NUMBER: f64 = -1.0e300;

impl SqlSort {
    /// The sort value of the record whose id is in `id_column`.
    pub fn expression(&self, id_column: &str) -> String {
        let missing = if self.kind == SortKind::Number { "-1.0e300" } else { "''" };
        match &self.source {
            SortSource::Column(column) if self.nullable => format!("COALESCE({column}, {missing})"),
            SortSource::Column(column) => column.to_string(),
            SortSource::Custom(key) => {
                let column = if self.kind == SortKind::Number { "number_value" } else { "text_value" };
                // `id_column` is `table.id`: the record's organization is `table.org_id`.
                let table = id_column.rsplit_once('.').map_or("", |(table, _)| table);
                format!(
                    "COALESCE((SELECT MIN({column}) FROM custom_field_values WHERE org_id = {table}.org_id \
                     AND record_id = {id_column} AND field_key = '{}'), {missing})",
                    key.replace('\'', "''")
                )
            }
        }
    }

    /// The cursor value of a record whose value is `value` (`None` when null).
    pub fn value_text(&self, value: Option<String>) -> String {
        match value {
            Some(v) => v,
            None if self.kind == SortKind::Number => MISSING_NUMBER.to_string(),
            None => String::new(),
        }
    }

    /// The order, and the condition for records after the cursor: prepared-statement
    /// cacheable fragments (see `crate::sql`).
    pub fn keyset<QS: 'static>(
        &self,
        id_column: &str,
        desc: bool,
        after: Option<Cursor>,
    ) -> ApiResult<(Fragment<diesel::sql_types::Text>, Option<crate::filter::Condition<QS>>)> {
        let expr = self.expression(id_column);
        let direction = if desc { "DESC" } else { "ASC" };
        let order = Fragment::new(vec![Piece::Sql(format!("{expr} {direction}, {id_column} {direction}"))]);
        let Some(cursor) = after else { return Ok((order, None)) };
        let malformed = || ApiError::bad_request("invalid_cursor", "cursor is malformed.");
        let value = match self.kind {
            SortKind::Number => Piece::Double(cursor.value.parse().map_err(|_| malformed())?),
            SortKind::Time => Piece::Time(crate::time::parse(&cursor.value).ok_or_else(malformed)?),
            SortKind::Text => Piece::Text(cursor.value),
        };
        let cmp = if desc { "<" } else { ">" };
        let condition = Fragment::<diesel::sql_types::Bool>::new(vec![
            Piece::Sql(format!("({expr} {cmp} ")),
            value.clone(),
            Piece::Sql(format!(" OR ({expr} = ")),
            value,
            Piece::Sql(format!(" AND {id_column} {cmp} ")),
            Piece::Text(cursor.id),
            Piece::Sql("))".into()),
        ]);
        Ok((order, Some(Box::new(condition))))
    }

    /// The sort value of a record sorted by a custom field, from its stored custom values.
    pub fn custom_value(&self, stored: &serde_json::Map<String, serde_json::Value>) -> String {
        let SortSource::Custom(key) = &self.source else { return String::new() };
        match stored.get(key) {
            Some(v) if self.kind == SortKind::Number => v.as_f64().unwrap_or(MISSING_NUMBER).to_string(),
            None => self.value_text(None),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    }
}

impl ListQuery {
    /// Checks limit, sort (one of `sortable`, else `default`) and cursor in one go.
    pub fn plan(&self, sortable: &[&'static str], default: Sort) -> ApiResult<ListPlan> {
        let limit = self.limit()?;
        let sort = self.sort(sortable, default)?;
        let after = self.cursor(&sort)?;
        Ok(ListPlan { limit, sort, after, by_expression: None })
    }

    pub fn limit(&self) -> ApiResult<i64> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request("invalid_limit", "limit must be between 1 and 200.")),
        }
    }

    /// The requested sort, which must be one of `allowed`; `default` otherwise.
    pub fn sort(&self, allowed: &[&'static str], default: Sort) -> ApiResult<Sort> {
        let Some(raw) = self.sort.as_deref() else {
            return Ok(default);
        };
        let (desc, name) = direction(raw);
        let field = allowed.iter().find(|f| **f == name).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_sort",
                format!("sort must be one of {}, with an optional leading -.", allowed.join(", ")),
            )
        })?;
        Ok(Sort { field, desc })
    }

    /// The cursor, which must belong to a list with the same sort.
    pub fn cursor(&self, sort: &Sort) -> ApiResult<Option<Cursor>> {
        self.cursor_named(sort.field, sort.desc)
    }

    fn cursor_named(&self, field: &str, desc: bool) -> ApiResult<Option<Cursor>> {
        // An empty cursor is the first page, like none.
        let Some(raw) = self.cursor.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let invalid =
            || ApiError::bad_request("invalid_cursor", "cursor is not a next_cursor of this list with this sort.");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.field != field || cursor.desc != desc {
            return Err(invalid());
        }
        Ok(Some(cursor))
    }
}

/// What every `cursor` matches: [`Cursor::encode`]'s base64url, stated once for the contract.
pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_-]*$";

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// `-name` → (descending, `name`); `name` → (ascending, `name`).
fn direction(raw: &str) -> (bool, &str) {
    match raw.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, raw),
    }
}

/// Builds a page from up to `limit + 1` rows: `key` gives each row's sort value and id.
pub fn page<R, T>(
    mut rows: Vec<R>,
    plan: &ListPlan,
    key: impl Fn(&R) -> (String, String),
    out: impl Fn(R) -> T,
) -> Page<T> {
    let limit = plan.limit;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last().map(|row| {
            let (value, id) = key(row);
            Cursor { field: plan.sort_name(), desc: plan.sort.desc, value, id }.encode()
        })
    } else {
        None
    };
    Page { data: rows.into_iter().map(out).collect(), has_more, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_list_states_its_own_sorts() {
        use crate::openapi::query_parameter_pattern as sort_of;
        assert_eq!(sort_of::<crate::teams::dto::TeamsQuery>("sort"), Some(crate::teams::model::SORTS.pattern(false)));
        assert_eq!(sort_of::<crate::users::dto::UsersQuery>("sort"), Some(crate::users::model::SORTS.pattern(false)));
        assert_eq!(sort_of::<crate::audit::dto::AuditQuery>("sort"), Some(crate::audit::model::SORTS.pattern(false)));
        let api_keys = Some(crate::api_keys::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::api_keys::dto::ApiKeysQuery>("sort"), api_keys);
    }

    #[test]
    fn cursors_match_the_contract_pattern() {
        let pattern = regex::Regex::new(CURSOR_PATTERN).unwrap();
        let cursor = Cursor { field: "name".into(), desc: true, value: "Ünïcode / +?".into(), id: "con_1".into() };
        assert!(pattern.is_match(&cursor.encode()), "{}", cursor.encode());
    }

    #[test]
    fn sort_and_cursor_round_trip() {
        let q = ListQuery { sort: Some("-email".into()), ..Default::default() };
        let sort = q.sort(&["created_at", "email"], Sort { field: "created_at", desc: false }).unwrap();
        assert_eq!(sort, Sort { field: "email", desc: true });
        let plan = ListPlan { limit: 1, sort: sort.clone(), after: None, by_expression: None };
        let page = page(vec![("a", "1"), ("b", "2")], &plan, |r| (r.0.to_string(), r.1.to_string()), |r| r);
        assert!(page.has_more);
        let q = ListQuery { sort: Some("-email".into()), cursor: page.next_cursor, ..Default::default() };
        assert_eq!(q.cursor(&sort).unwrap().unwrap().value, "a");
        let other = Sort { field: "created_at", desc: false };
        assert!(q.cursor(&other).is_err());
        assert!(ListQuery { sort: Some("password".into()), ..Default::default() }.sort(&["email"], other).is_err());
        assert!(ListQuery { limit: Some(201), ..Default::default() }.limit().is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever a client sends as `sort` and `cursor`: an answer or a 400, never a panic.
            #[test]
            fn any_sort_and_cursor_is_read_or_refused(sort in ".{0,40}", cursor in ".{0,200}", limit in any::<i64>()) {
                let q = ListQuery { sort: Some(sort), cursor: Some(cursor), limit: Some(limit) };
                let by = Sort { field: "created_at", desc: false };
                if let Err(e) = q.plan(&["created_at", "email"], by) {
                    prop_assert_eq!(e.status.as_u16(), 400);
                }
            }

            /// A cursor the server wrote reads back as it was, and matches the contract.
            #[test]
            fn cursors_round_trip(value in ".{0,100}", id in "[a-z]{1,4}_[0-9a-z]{26}", desc in any::<bool>()) {
                let cursor = Cursor { field: "email".into(), desc, value: value.clone(), id: id.clone() };
                let encoded = cursor.encode();
                prop_assert!(regex::Regex::new(CURSOR_PATTERN).unwrap().is_match(&encoded));
                let q = ListQuery { cursor: Some(encoded), ..Default::default() };
                let read = q.cursor(&Sort { field: "email", desc }).unwrap().unwrap();
                prop_assert_eq!((read.value, read.id), (value, id));
            }
        }
    }
}
