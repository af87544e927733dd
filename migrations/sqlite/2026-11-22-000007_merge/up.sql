-- Merged contacts point at the contact they were merged into (GET on them redirects there);
-- the duplicate finder looks contacts up by primary phone.
ALTER TABLE contacts ADD COLUMN merged_into TEXT;
CREATE INDEX contacts_org_phone ON contacts (org_id, phone);
