-- Rate-limit windows shared by every gateway on this database: each gateway adds the leases it
-- takes to its key's count in the current one-minute window (see crm_core::http::rate_limit).
-- Platform-wide like job_schedules: keys are principals and client addresses. Windows past are
-- deleted as gateways move on.
CREATE TABLE rate_limit_counters (
    key           TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    used          BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
