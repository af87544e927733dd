-- Surveys: CSAT (a 1–5 rating e-mailed when a ticket is solved, kept in ticket_ratings) and
-- NPS (0–10, e-mailed to a list or filter of contacts). Each invitation is answered once,
-- through a signed link.
CREATE TABLE surveys (
    id            TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    -- csat, nps
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    question      TEXT NOT NULL,
    -- Where the e-mailed link points ({token} replaced), when the organization answers there
    response_url  TEXT,
    -- 1: a CSAT survey goes out when tickets are solved
    active        INTEGER NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX surveys_org_kind ON surveys (org_id, kind, active);

CREATE TABLE survey_invitations (
    id               TEXT NOT NULL,
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    survey_id        TEXT NOT NULL,
    contact_id       TEXT NOT NULL,
    ticket_id        TEXT,
    mail_message_id  TEXT,
    responded_at     TIMESTAMP,
    expires_at       TIMESTAMP NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, survey_id) REFERENCES surveys (org_id, id) ON DELETE CASCADE
);
CREATE INDEX survey_invitations_org_survey ON survey_invitations (org_id, survey_id);

CREATE TABLE survey_responses (
    id             TEXT NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    survey_id      TEXT NOT NULL,
    invitation_id  TEXT NOT NULL,
    contact_id     TEXT NOT NULL,
    score          INTEGER NOT NULL,
    comment        TEXT,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, survey_id) REFERENCES surveys (org_id, id) ON DELETE CASCADE
);
CREATE INDEX survey_responses_org_survey ON survey_responses (org_id, survey_id, created_at);
