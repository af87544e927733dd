CREATE FUNCTION crm_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crm_events', 'inserted');
    RETURN NULL;
END $$;
CREATE TRIGGER events_inserted AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION crm_events_inserted();
