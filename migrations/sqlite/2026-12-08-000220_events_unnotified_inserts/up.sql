-- PostgreSQL's migration of this name drops the trigger that made every insert into `events`
-- send a NOTIFY (it serialized the commits that sent one). SQLite never had it: its one writer
-- wakes this process's waiters after each commit (`Db::committed`). Nothing to change here;
-- the file keeps both databases' migrations in step.
SELECT 1;
