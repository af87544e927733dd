-- When each periodic job kind runs next. A process claims a run by moving next_run_at forward
-- in the transaction that enqueues it, so several gateways and workers start each run once.
-- Platform-wide, so it has no org_id: the runs it starts are jobs of each organization.
CREATE TABLE job_schedules (
    kind         TEXT PRIMARY KEY,
    next_run_at  TIMESTAMP NOT NULL
);
