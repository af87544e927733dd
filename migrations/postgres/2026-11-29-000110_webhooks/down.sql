DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TRIGGER events_inserted ON events;
DROP FUNCTION crm_events_inserted();
DROP INDEX events_org_created;
DROP TABLE event_horizons;
