//! Lists: `limit` (1–200, default 50), an opaque keyset `cursor`, and `sort` over a
//! resource's documented fields (`-` for descending), ties broken by id.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};

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
    pub sort: Sort,
    pub after: Option<Cursor>,
}

impl ListQuery {
    /// Checks limit, sort (one of `sortable`, else `default`) and cursor in one go.
    pub fn plan(&self, sortable: &[&'static str], default: Sort) -> ApiResult<ListPlan> {
        let limit = self.limit()?;
        let sort = self.sort(sortable, default)?;
        let after = self.cursor(&sort)?;
        Ok(ListPlan { limit, sort, after })
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
        let (desc, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
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
        let Some(raw) = self.cursor.as_deref() else {
            return Ok(None);
        };
        let invalid =
            || ApiError::bad_request("invalid_cursor", "cursor is not a next_cursor of this list with this sort.");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.field != sort.field || cursor.desc != sort.desc {
            return Err(invalid());
        }
        Ok(Some(cursor))
    }
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The keyset position (value, id) of a list sorted by a text column.
    pub fn text_key(cursor: Option<Cursor>) -> Option<(String, String)> {
        cursor.map(|c| (c.value, c.id))
    }

    /// The keyset position (time, id) of a list sorted by a timestamp column.
    pub fn time_key(cursor: Option<Cursor>) -> ApiResult<Option<(chrono::NaiveDateTime, String)>> {
        cursor
            .map(|c| match crate::time::parse(&c.value) {
                Some(t) => Ok((t, c.id)),
                None => Err(ApiError::bad_request("invalid_cursor", "cursor is malformed.")),
            })
            .transpose()
    }
}

/// Builds a page from up to `limit + 1` rows: `key` gives each row's sort value and id.
pub fn page<R, T>(
    mut rows: Vec<R>,
    plan: &ListPlan,
    key: impl Fn(&R) -> (String, String),
    out: impl Fn(R) -> T,
) -> Page<T> {
    let (limit, sort) = (plan.limit, &plan.sort);
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last().map(|row| {
            let (value, id) = key(row);
            Cursor { field: sort.field.to_string(), desc: sort.desc, value, id }.encode()
        })
    } else {
        None
    };
    Page { data: rows.into_iter().map(out).collect(), has_more, next_cursor }
}

/// Applies keyset pagination and ordering on one column and the id column to a boxed query.
#[macro_export]
macro_rules! keyset {
    ($query:expr, $column:expr, $id:expr, $sort:expr, $after:expr) => {{
        let mut query = $query;
        if let Some((value, id)) = $after {
            if $sort.desc {
                query = query.filter($column.lt(value.clone()).or($column.eq(value).and($id.lt(id))));
            } else {
                query = query.filter($column.gt(value.clone()).or($column.eq(value).and($id.gt(id))));
            }
        }
        if $sort.desc { query.order(($column.desc(), $id.desc())) } else { query.order(($column.asc(), $id.asc())) }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_and_cursor_round_trip() {
        let q = ListQuery { sort: Some("-email".into()), ..Default::default() };
        let sort = q.sort(&["created_at", "email"], Sort { field: "created_at", desc: false }).unwrap();
        assert_eq!(sort, Sort { field: "email", desc: true });
        let plan = ListPlan { limit: 1, sort: sort.clone(), after: None };
        let page = page(vec![("a", "1"), ("b", "2")], &plan, |r| (r.0.to_string(), r.1.to_string()), |r| r);
        assert!(page.has_more);
        let q = ListQuery { sort: Some("-email".into()), cursor: page.next_cursor, ..Default::default() };
        assert_eq!(q.cursor(&sort).unwrap().unwrap().value, "a");
        let other = Sort { field: "created_at", desc: false };
        assert!(q.cursor(&other).is_err());
        assert!(ListQuery { sort: Some("password".into()), ..Default::default() }.sort(&["email"], other).is_err());
        assert!(ListQuery { limit: Some(201), ..Default::default() }.limit().is_err());
    }
}
