-- Customer satisfaction: the requester's rating of a solved ticket (1–5), from the portal.
CREATE TABLE ticket_ratings (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    ticket_id   TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    score       INTEGER NOT NULL,
    comment     TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, ticket_id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id)
);
CREATE INDEX ticket_ratings_org_updated ON ticket_ratings (org_id, updated_at);
