-- An insert into `events` no longer notifies `crm_events`. A NOTIFY serializes the commits of
-- the transactions that send it (PostgreSQL holds a database-wide lock from the NOTIFY's
-- pre-commit to the end of the commit, its WAL flush included), so every write with an event
-- committed one after another. The process that committed the write tells its own listener,
-- which stamps within 10 ms (`events::service::run_listener`); the stamping still notifies.
DROP TRIGGER events_inserted ON events;
DROP FUNCTION crm_events_inserted();
