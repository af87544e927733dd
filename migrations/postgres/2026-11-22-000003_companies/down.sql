DROP TABLE contact_companies;
DROP TABLE companies;
