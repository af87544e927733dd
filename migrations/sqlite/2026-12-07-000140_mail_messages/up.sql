-- Outbound e-mail (crm_core::mail): every message any domain sends, as queued and as it went.
CREATE TABLE mail_messages (
    id              TEXT NOT NULL,
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    -- The Message-ID header, without its angle brackets: replies name it in In-Reply-To.
    message_id      TEXT NOT NULL,
    from_address    TEXT NOT NULL,
    -- JSON array of addresses
    to_addresses    TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT,
    in_reply_to     TEXT,
    -- JSON array of message ids (the References header), oldest first
    reference_ids   TEXT NOT NULL,
    -- What the message is about (a ticket, a contact), when anything
    record_type     TEXT,
    record_id       TEXT,
    -- queued, sent, failed
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- The SMTP server's answer to the message (its queue id), once sent
    provider_id     TEXT,
    -- The last attempt's error
    error           TEXT,
    job_id          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX mail_messages_org_message_id ON mail_messages (org_id, message_id);
CREATE INDEX mail_messages_org_created ON mail_messages (org_id, created_at, id);
CREATE INDEX mail_messages_org_record ON mail_messages (org_id, record_type, record_id);
