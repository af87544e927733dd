//! Searching across record types.

use crm_core::auth::{Action, Actor, Resource};
use crm_core::error::{ApiError, ApiResult};
use crm_core::search_index;
use crm_core::state::AppState;

use super::dto::{SearchHit, SearchQuery, SearchResults, SearchType};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 50;

pub async fn search(state: &AppState, actor: &Actor, query: SearchQuery) -> ApiResult<SearchResults> {
    actor.require(Resource::Contacts, Action::Read)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", format!("limit must be between 1 and {MAX_LIMIT}.")));
    }
    let mut types: Vec<&'static str> = Vec::new();
    for name in query.types.as_deref().unwrap_or("contact,company").split(',').map(str::trim) {
        let kind = SearchType::parse(name).ok_or_else(|| {
            ApiError::bad_request("invalid_types", "types is a comma-separated list of contact, company.")
        })?;
        types.push(kind.as_str());
    }
    let org_id = actor.org_id.clone();
    let hits = state.db.read(move |conn| search_index::search(conn, &org_id, &query.q, &types, limit)).await?;
    let data = hits
        .into_iter()
        .filter_map(|hit| {
            let kind = SearchType::parse(&hit.record_type)?;
            let collection = match kind {
                SearchType::Contact => "contacts",
                SearchType::Company => "companies",
            };
            Some(SearchHit {
                record_type: kind,
                url: format!("/v1/{collection}/{}", hit.record_id),
                id: hit.record_id,
                title: hit.title,
                subtitle: hit.subtitle,
            })
        })
        .collect();
    Ok(SearchResults { data })
}
