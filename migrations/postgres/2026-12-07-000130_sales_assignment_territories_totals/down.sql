CREATE INDEX deals_org_stage ON deals (org_id, stage_id);
DROP INDEX deals_org_stage_entered;
DROP TABLE deal_totals;
DROP TABLE company_territories;
DROP TABLE territories;
DROP TABLE assignment_rules;
