-- A list filtered by stage and sorted by the last change (the usual pipeline view) reads one
-- index range in order instead of every contact of the stage. The wider index costs nothing
-- more on writes: updated_at is indexed already, so no update of a contact was ever HOT.
DROP INDEX contacts_org_stage;
CREATE INDEX contacts_org_stage ON contacts (org_id, lifecycle_stage, updated_at, id);
