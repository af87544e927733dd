DROP INDEX contacts_org_stage;
CREATE INDEX contacts_org_stage ON contacts (org_id, lifecycle_stage);
