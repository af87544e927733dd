//! Searching across record types.

use crate::auth::{Action, Actor};
use crate::error::{ApiError, ApiResult};
use crate::registry::{self, ResourceSpec};
use crate::search_index;
use crate::state::AppState;

use super::dto::{SearchHit, SearchQuery, SearchResults, SearchType};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 50;

pub async fn search(state: &AppState, actor: &Actor, query: SearchQuery) -> ApiResult<SearchResults> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", format!("limit must be between 1 and {MAX_LIMIT}.")));
    }
    let searchable: Vec<&'static ResourceSpec> = registry::resources(state.domains).filter(|r| r.search).collect();
    let types: Vec<&'static ResourceSpec> = match query.types.as_deref() {
        // Everything the caller may read; a caller who may read none of it is told so.
        None => {
            let readable: Vec<_> =
                searchable.iter().copied().filter(|r| actor.require(r.permission, Action::Read).is_ok()).collect();
            if readable.is_empty()
                && let Some(first) = searchable.first()
            {
                actor.require(first.permission, Action::Read)?;
            }
            readable
        }
        Some(list) => {
            let mut types = Vec::new();
            for name in list.split(',').map(str::trim) {
                let spec = searchable.iter().find(|r| r.record_type == name).ok_or_else(|| {
                    let names: Vec<_> = searchable.iter().map(|r| r.record_type).collect();
                    ApiError::bad_request(
                        "invalid_types",
                        format!("types is a comma-separated list of {}.", names.join(", ")),
                    )
                })?;
                actor.require(spec.permission, Action::Read)?;
                types.push(*spec);
            }
            types
        }
    };
    let names: Vec<&'static str> = types.iter().map(|r| r.record_type).collect();
    let scope = actor.scope();
    let hits = state.db.read(move |conn| search_index::search(conn, &scope, &query.q, &names, limit)).await?;
    let data = hits
        .into_iter()
        .filter_map(|hit| {
            let spec = types.iter().find(|r| r.record_type == hit.record_type)?;
            Some(SearchHit {
                url: format!("{}/{}", spec.path, hit.record_id),
                record_type: SearchType(hit.record_type),
                id: hit.record_id,
                title: hit.title,
                subtitle: hit.subtitle,
            })
        })
        .collect();
    Ok(SearchResults { data })
}
