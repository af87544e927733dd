-- Service (crm-service): tickets, their comments, and the e-mails of their threads.
CREATE TABLE tickets (
    id                  TEXT NOT NULL,
    org_id              TEXT NOT NULL REFERENCES organizations (id),
    -- The organization's ticket number (1, 2, 3…): `[#1042]` in a subject names the ticket
    number              BIGINT NOT NULL,
    subject             TEXT NOT NULL,
    description         TEXT,
    -- new, open, pending, on_hold, solved, closed
    status              TEXT NOT NULL,
    -- low, normal, high, urgent
    priority            TEXT NOT NULL,
    -- email, web, phone, chat, api
    channel             TEXT NOT NULL,
    -- A contact, its company and a team (no foreign keys: contacts merge, companies and teams
    -- are deleted, and the ticket stays)
    requester_id        TEXT,
    company_id          TEXT,
    assignee_id         TEXT REFERENCES users (id),
    team_id             TEXT,
    first_responded_at  TIMESTAMP,
    solved_at           TIMESTAMP,
    closed_at           TIMESTAMP,
    reopened_count      INTEGER NOT NULL DEFAULT 0,
    -- The SLA policy the ticket matched, its targets' due times (the resolution's moved on while
    -- the ticket is pending), since when it is paused, the warnings and breaches already
    -- announced (bits: 1 first response warned, 2 breached, 4 resolution warned, 8 breached),
    -- and when the SLA scan next has something to announce about it
    sla_policy_id          TEXT,
    first_response_due_at  TIMESTAMP,
    resolution_due_at      TIMESTAMP,
    sla_paused_at          TIMESTAMP,
    sla_flags              INTEGER NOT NULL DEFAULT 0,
    sla_next_check_at      TIMESTAMP,
    tags                TEXT NOT NULL,
    external_ids        TEXT NOT NULL,
    custom              TEXT NOT NULL DEFAULT '{}',
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    deleted_at          TIMESTAMP,
    version             BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX tickets_org_number ON tickets (org_id, number);
CREATE INDEX tickets_org_created ON tickets (org_id, created_at, id);
CREATE INDEX tickets_org_updated ON tickets (org_id, updated_at, id);
CREATE INDEX tickets_org_status ON tickets (org_id, status);
CREATE INDEX tickets_org_assignee ON tickets (org_id, assignee_id, status);
CREATE INDEX tickets_org_team ON tickets (org_id, team_id);
CREATE INDEX tickets_org_requester ON tickets (org_id, requester_id);
CREATE INDEX tickets_org_company ON tickets (org_id, company_id);
CREATE INDEX tickets_org_sla_check ON tickets (org_id, sla_next_check_at);
-- An agent's queue: their unsolved tickets by resolution due time (the solved stay out of it).
CREATE INDEX tickets_org_queue ON tickets (org_id, assignee_id, resolution_due_at, id)
    WHERE status NOT IN ('solved', 'closed') AND deleted_at IS NULL;
CREATE INDEX tickets_org_deleted ON tickets (org_id, deleted_at) WHERE deleted_at IS NOT NULL;

-- A ticket's conversation: public replies (e-mailed to the requester when an agent writes
-- them) and internal notes.
CREATE TABLE ticket_comments (
    id               TEXT NOT NULL,
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    ticket_id        TEXT NOT NULL,
    body             TEXT NOT NULL,
    -- public, internal
    visibility       TEXT NOT NULL,
    -- user, api_key, contact
    author_type      TEXT NOT NULL,
    author_id        TEXT NOT NULL,
    -- api, email
    via              TEXT NOT NULL,
    -- The e-mail that carried the reply to the requester (mail_messages.id), when one did
    mail_message_id  TEXT,
    -- JSON array of {file_id, filename, content_type, size}
    attachments      TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id)
);
CREATE INDEX ticket_comments_org_ticket ON ticket_comments (org_id, ticket_id, created_at, id);

-- Every e-mail of a ticket's thread, in and out, by Message-ID: a reply naming one of them in
-- In-Reply-To or References belongs to that ticket, and a message delivered twice is seen once.
CREATE TABLE ticket_messages (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    message_id  TEXT NOT NULL,
    ticket_id   TEXT NOT NULL,
    comment_id  TEXT,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, message_id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id)
);
CREATE INDEX ticket_messages_org_ticket ON ticket_messages (org_id, ticket_id, created_at);

-- The organization's business hours (one row, its id the organization's): SLA targets counted
-- in business time count only these.
CREATE TABLE business_hours (
    id          TEXT NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- IANA time zone name
    time_zone   TEXT NOT NULL,
    -- JSON {"monday": [{"start": "09:00", "end": "17:00"}], …}
    week        TEXT NOT NULL,
    -- JSON array of YYYY-MM-DD
    holidays    TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- SLA policies: the first (by position) whose filter matches a ticket sets its targets.
CREATE TABLE sla_policies (
    id                      TEXT NOT NULL,
    org_id                  TEXT NOT NULL REFERENCES organizations (id),
    name                    TEXT NOT NULL,
    position                INTEGER NOT NULL,
    -- A filter of the filter language over tickets (JSON); NULL matches every ticket
    filter                  TEXT,
    first_response_minutes  INTEGER,
    resolution_minutes      INTEGER,
    -- business or calendar
    clock                   TEXT NOT NULL,
    warn_before_minutes     INTEGER NOT NULL,
    -- On a breach: raise the priority a level, and/or hand the ticket to this team
    raise_priority          INTEGER NOT NULL,
    escalation_team_id      TEXT,
    version                 BIGINT NOT NULL DEFAULT 1,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX sla_policies_org_position ON sla_policies (org_id, position, id);

-- How a team takes new tickets: manual, round_robin (last_user_id is whose turn it was) or
-- least_open (the member with the fewest unsolved tickets).
CREATE TABLE ticket_routing (
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    team_id       TEXT NOT NULL,
    method        TEXT NOT NULL,
    last_user_id  TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, team_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE
);
