-- Ready to distribute by organization: the tables of an organization's records are keyed
-- (org_id, id), and the foreign keys between them carry org_id (Citus needs the distribution
-- column in every primary key, unique index and foreign key; see docs/deployment.md).
-- organizations, users, api_keys, refresh_tokens, job_schedules and rate_limit_counters keep
-- their keys: they are looked up before an organization is known (reference tables).

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

ALTER TABLE activities DROP CONSTRAINT activities_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE companies DROP CONSTRAINT companies_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE contacts DROP CONSTRAINT contacts_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE custom_field_definitions DROP CONSTRAINT custom_field_definitions_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE email_suppressions DROP CONSTRAINT email_suppressions_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE files DROP CONSTRAINT files_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE jobs DROP CONSTRAINT jobs_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE subscription_types DROP CONSTRAINT subscription_types_pkey, ADD PRIMARY KEY (org_id, id);
ALTER TABLE teams DROP CONSTRAINT teams_pkey, ADD PRIMARY KEY (org_id, id);

ALTER TABLE activity_links ADD CONSTRAINT activity_links_activity_id_fkey FOREIGN KEY (org_id, activity_id) REFERENCES activities (org_id, id);
ALTER TABLE companies ADD CONSTRAINT companies_parent_id_fkey FOREIGN KEY (org_id, parent_id) REFERENCES companies (org_id, id);
ALTER TABLE contact_companies ADD CONSTRAINT contact_companies_company_id_fkey FOREIGN KEY (org_id, company_id) REFERENCES companies (org_id, id);
ALTER TABLE contact_companies ADD CONSTRAINT contact_companies_contact_id_fkey FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id);
ALTER TABLE contact_consents ADD CONSTRAINT contact_consents_contact_id_fkey FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id);
ALTER TABLE contact_emails ADD CONSTRAINT contact_emails_contact_id_fkey FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id);
ALTER TABLE contact_erasures ADD CONSTRAINT contact_erasures_contact_id_fkey FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id);
ALTER TABLE contact_subscriptions ADD CONSTRAINT contact_subscriptions_contact_id_fkey FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id);
ALTER TABLE contact_subscriptions ADD CONSTRAINT contact_subscriptions_subscription_type_id_fkey FOREIGN KEY (org_id, subscription_type_id) REFERENCES subscription_types (org_id, id);
ALTER TABLE file_chunks ADD CONSTRAINT file_chunks_file_id_fkey FOREIGN KEY (org_id, file_id) REFERENCES files (org_id, id);
ALTER TABLE import_rows ADD CONSTRAINT import_rows_job_id_fkey FOREIGN KEY (org_id, job_id) REFERENCES jobs (org_id, id);
ALTER TABLE team_members ADD CONSTRAINT team_members_team_id_fkey FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE;

-- Values are looked up by their record within its organization.
DROP INDEX custom_field_values_record;
CREATE INDEX custom_field_values_record ON custom_field_values (org_id, record_id, field_key);
