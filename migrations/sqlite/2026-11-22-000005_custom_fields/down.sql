ALTER TABLE companies DROP COLUMN custom;
ALTER TABLE contacts DROP COLUMN custom;
DROP TABLE custom_field_values;
DROP TABLE custom_field_definitions;
