DROP TABLE idempotency_keys;
DROP TABLE events;
DROP SEQUENCE events_seq;
DROP TABLE audit_log;
DROP TABLE refresh_tokens;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE organizations;
