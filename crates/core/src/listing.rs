//! A resource's lists and searches, written once: a [`Listing`] names its record type, its
//! [`Sorts`], the fields the filter language addresses and those free text looks in; a
//! resource's model keeps only its base query and its simple query-string filters.

use crate::custom_fields::Schema;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::filter::{Condition, CustomField, FieldSpec, SearchRequest, Spec};
use crate::http::{Cursor, ListPlan, Page, Sort, Sorts, page};
use crate::scope::Scope;

pub struct Listing<R: 'static> {
    /// The record type its custom fields and tags are stored under.
    pub record_type: &'static str,
    pub sorts: &'static Sorts<R>,
    /// What the filter language may address (besides `custom.<key>`).
    pub filterable: &'static [FieldSpec],
    /// The fields the free text of a search looks in.
    pub text_fields: &'static [&'static str],
}

impl<R> Listing<R> {
    /// What the filter language may address in this organization.
    pub fn spec<'a>(&self, scope: &'a Scope, custom: &'a [CustomField]) -> Spec<'a> {
        let (record_type, id_column) = (self.record_type, self.sorts.id_column);
        Spec { fields: self.filterable, record_type, id_column, org_id: scope.org_id(), custom }
    }

    /// One page of what the scope sees: loads the organization's custom fields of the type, plans the sort, compiles
    /// the filter and the free text, lets `load` run the resource's query with them, and shows
    /// each row (values of archived custom fields hidden by `shown`).
    pub fn page<O, QS: 'static>(
        &self,
        conn: &mut DbConnection,
        scope: &Scope,
        request: &SearchRequest,
        load: impl FnOnce(&mut DbConnection, Vec<Condition<QS>>, &ListPlan) -> ApiResult<Vec<R>>,
        shown: impl Fn(&Schema, R) -> O,
    ) -> ApiResult<Page<O>> {
        let schema = Schema::load(conn, scope, self.record_type)?;
        let custom = schema.filter_fields();
        let plan = self.sorts.plan(&request.paging(), &custom)?;
        let conditions = request.conditions(&self.spec(scope, &custom), self.text_fields)?;
        let rows = load(conn, conditions, &plan)?;
        Ok(page(rows, &plan, |row| self.sorts.position(&plan, row), |row| shown(&schema, row)))
    }

    /// The plan of a walk through every record in the default order, `limit` at a time, after
    /// `after` (exports).
    pub fn walk(&self, limit: i64, after: Option<Cursor>) -> ApiResult<ListPlan> {
        let mut plan = self.sorts.plan(&Default::default(), &[])?;
        plan.limit = limit;
        plan.after = after;
        Ok(plan)
    }

    /// Where a walk continues after `row`.
    pub fn after(&self, plan: &ListPlan, row: &R) -> Cursor {
        let (value, id) = self.sorts.position(plan, row);
        let Sort { desc, .. } = plan.sort;
        Cursor { field: plan.sort_name(), desc, value, id }
    }
}
