-- Events: how far each organization's feed has been pruned (a reader behind it gets a 410),
-- and a wake-up for listeners (the sequencer, live streams, webhook dispatchers) when events
-- are inserted, so nothing polls.
CREATE TABLE event_horizons (
    org_id          TEXT PRIMARY KEY REFERENCES organizations (id),
    pruned_through  BIGINT NOT NULL
);
CREATE INDEX events_org_created ON events (org_id, created_at);

CREATE FUNCTION crm_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crm_events', 'inserted');
    RETURN NULL;
END $$;
CREATE TRIGGER events_inserted AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION crm_events_inserted();

-- Webhook endpoints: where an organization's events go, signed with its secret. `after_seq`
-- is the fan-out position: events after it have no delivery rows for the endpoint yet.
CREATE TABLE webhook_endpoints (
    id                       TEXT NOT NULL,
    org_id                   TEXT NOT NULL REFERENCES organizations (id),
    url                      TEXT NOT NULL,
    description              TEXT NOT NULL,
    -- JSON array of types and `group.*` patterns; empty: every type
    event_types              TEXT NOT NULL,
    enabled                  BOOLEAN NOT NULL,
    disabled_reason          TEXT,
    secret                   TEXT NOT NULL,
    previous_secret          TEXT,
    previous_secret_until    TIMESTAMP,
    rate_limit_per_second    INTEGER,
    after_seq                BIGINT NOT NULL,
    failing_since            TIMESTAMP,
    version                  BIGINT NOT NULL DEFAULT 1,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX webhook_endpoints_org_created ON webhook_endpoints (org_id, created_at, id);
-- The dispatcher's fan-out looks across organizations for enabled endpoints.
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (enabled, org_id);

-- One row per (endpoint, event): its state and its next attempt. `record_key` orders deliveries
-- per record: a later event of a record waits while an earlier one is pending.
CREATE TABLE webhook_deliveries (
    id               TEXT NOT NULL,
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    endpoint_id      TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    event_seq        BIGINT NOT NULL,
    event_type       TEXT NOT NULL,
    record_key       TEXT NOT NULL,
    -- pending, succeeded, failed
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    lease_owner      TEXT,
    lease_until      TIMESTAMP,
    last_status      INTEGER,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX webhook_deliveries_endpoint_event ON webhook_deliveries (org_id, endpoint_id, event_id);
-- The claim looks across organizations for due deliveries.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_record ON webhook_deliveries (endpoint_id, record_key, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_created ON webhook_deliveries (org_id, endpoint_id, created_at, id);

CREATE TABLE webhook_attempts (
    delivery_id       TEXT NOT NULL,
    attempt           INTEGER NOT NULL,
    org_id            TEXT NOT NULL REFERENCES organizations (id),
    attempted_at      TIMESTAMP NOT NULL,
    response_status   INTEGER,
    latency_ms        INTEGER NOT NULL,
    response_body     TEXT,
    error             TEXT,
    next_attempt_at   TIMESTAMP,
    PRIMARY KEY (org_id, delivery_id, attempt),
    FOREIGN KEY (org_id, delivery_id) REFERENCES webhook_deliveries (org_id, id) ON DELETE CASCADE
);
