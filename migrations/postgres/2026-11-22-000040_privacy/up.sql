-- Privacy: consent per contact and channel, subscription types and each contact's
-- subscriptions, the e-mail suppression list, and what an erasure leaves behind.

-- The current consent of a contact on one channel (email, sms, phone); each change is in the audit log.
CREATE TABLE contact_consents (
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    contact_id    TEXT NOT NULL REFERENCES contacts (id),
    channel       TEXT NOT NULL,
    status        TEXT NOT NULL,
    lawful_basis  TEXT,
    source        TEXT,
    recorded_at   TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, contact_id, channel)
);

-- What a contact can subscribe to: newsletters, product updates, event invitations…
CREATE TABLE subscription_types (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    description  TEXT,
    channel      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX subscription_types_org_name ON subscription_types (org_id, name);
CREATE INDEX subscription_types_org_created ON subscription_types (org_id, created_at, id);

CREATE TABLE contact_subscriptions (
    org_id                TEXT NOT NULL REFERENCES organizations (id),
    contact_id            TEXT NOT NULL REFERENCES contacts (id),
    subscription_type_id  TEXT NOT NULL REFERENCES subscription_types (id),
    status                TEXT NOT NULL,
    source                TEXT,
    updated_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, contact_id, subscription_type_id)
);
CREATE INDEX contact_subscriptions_org_type ON contact_subscriptions (org_id, subscription_type_id, contact_id);

-- Addresses marketing must not write to: unsubscribed, bounced, complained. One entry per address.
CREATE TABLE email_suppressions (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    email       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    source      TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX email_suppressions_org_email ON email_suppressions (org_id, email);
CREATE INDEX email_suppressions_org_created ON email_suppressions (org_id, created_at, id);

-- Keyed hashes (HMAC-SHA256 with a key derived from the server secret) of erased e-mails:
-- a re-import cannot silently bring an erased person back, and the address is not stored.
CREATE TABLE erased_emails (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    email_hash  TEXT NOT NULL,
    erased_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, email_hash)
);

-- Which contacts were erased, when and by whom (no personal data).
CREATE TABLE contact_erasures (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    erased_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, contact_id)
);

-- The trash purge looks for records trashed before a cut-off.
CREATE INDEX contacts_org_deleted ON contacts (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX companies_org_deleted ON companies (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX activities_org_deleted ON activities (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
