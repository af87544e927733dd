ALTER TABLE organizations DROP COLUMN phone_region;
