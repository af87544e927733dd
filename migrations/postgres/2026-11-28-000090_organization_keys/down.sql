-- Back to tables keyed by id alone (see up.sql).

ALTER TABLE activity_links DROP CONSTRAINT activity_links_activity_id_fkey;
ALTER TABLE companies DROP CONSTRAINT companies_parent_id_fkey;
ALTER TABLE contact_companies DROP CONSTRAINT contact_companies_company_id_fkey;
ALTER TABLE contact_companies DROP CONSTRAINT contact_companies_contact_id_fkey;
ALTER TABLE contact_consents DROP CONSTRAINT contact_consents_contact_id_fkey;
ALTER TABLE contact_emails DROP CONSTRAINT contact_emails_contact_id_fkey;
ALTER TABLE contact_erasures DROP CONSTRAINT contact_erasures_contact_id_fkey;
ALTER TABLE contact_subscriptions DROP CONSTRAINT contact_subscriptions_contact_id_fkey;
ALTER TABLE contact_subscriptions DROP CONSTRAINT contact_subscriptions_subscription_type_id_fkey;
ALTER TABLE file_chunks DROP CONSTRAINT file_chunks_file_id_fkey;
ALTER TABLE import_rows DROP CONSTRAINT import_rows_job_id_fkey;
ALTER TABLE team_members DROP CONSTRAINT team_members_team_id_fkey;

ALTER TABLE activities DROP CONSTRAINT activities_pkey, ADD PRIMARY KEY (id);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey, ADD PRIMARY KEY (id);
ALTER TABLE companies DROP CONSTRAINT companies_pkey, ADD PRIMARY KEY (id);
ALTER TABLE contacts DROP CONSTRAINT contacts_pkey, ADD PRIMARY KEY (id);
ALTER TABLE custom_field_definitions DROP CONSTRAINT custom_field_definitions_pkey, ADD PRIMARY KEY (id);
ALTER TABLE email_suppressions DROP CONSTRAINT email_suppressions_pkey, ADD PRIMARY KEY (id);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (id);
ALTER TABLE files DROP CONSTRAINT files_pkey, ADD PRIMARY KEY (id);
ALTER TABLE jobs DROP CONSTRAINT jobs_pkey, ADD PRIMARY KEY (id);
ALTER TABLE subscription_types DROP CONSTRAINT subscription_types_pkey, ADD PRIMARY KEY (id);
ALTER TABLE teams DROP CONSTRAINT teams_pkey, ADD PRIMARY KEY (id);

ALTER TABLE activity_links ADD CONSTRAINT activity_links_activity_id_fkey FOREIGN KEY (activity_id) REFERENCES activities (id);
ALTER TABLE companies ADD CONSTRAINT companies_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES companies (id);
ALTER TABLE contact_companies ADD CONSTRAINT contact_companies_company_id_fkey FOREIGN KEY (company_id) REFERENCES companies (id);
ALTER TABLE contact_companies ADD CONSTRAINT contact_companies_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contacts (id);
ALTER TABLE contact_consents ADD CONSTRAINT contact_consents_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contacts (id);
ALTER TABLE contact_emails ADD CONSTRAINT contact_emails_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contacts (id);
ALTER TABLE contact_erasures ADD CONSTRAINT contact_erasures_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contacts (id);
ALTER TABLE contact_subscriptions ADD CONSTRAINT contact_subscriptions_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contacts (id);
ALTER TABLE contact_subscriptions ADD CONSTRAINT contact_subscriptions_subscription_type_id_fkey FOREIGN KEY (subscription_type_id) REFERENCES subscription_types (id);
ALTER TABLE file_chunks ADD CONSTRAINT file_chunks_file_id_fkey FOREIGN KEY (file_id) REFERENCES files (id);
ALTER TABLE import_rows ADD CONSTRAINT import_rows_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs (id);
ALTER TABLE team_members ADD CONSTRAINT team_members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE;

DROP INDEX custom_field_values_record;
CREATE INDEX custom_field_values_record ON custom_field_values (record_id, field_key);
