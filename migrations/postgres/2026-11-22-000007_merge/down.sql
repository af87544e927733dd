DROP INDEX contacts_org_phone;
ALTER TABLE contacts DROP COLUMN merged_into;
