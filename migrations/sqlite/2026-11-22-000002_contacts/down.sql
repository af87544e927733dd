DROP TABLE contact_emails;
DROP TABLE contacts;
DROP TABLE external_ids;
DROP TABLE record_tags;
