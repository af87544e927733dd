ALTER TABLE search_documents DROP COLUMN owner_id;
DROP TABLE record_visibility;
DROP TABLE team_members;
DROP TABLE teams;
