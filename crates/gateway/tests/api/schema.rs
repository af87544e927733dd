//! Migrations apply, revert and re-apply on both backends; schema rules hold; `schema.rs`
//! matches the migrated database on both, and both backends have the same tables and columns.

use crm_core::db::DbConnection;
use diesel::prelude::*;

use crate::support::{Backend, TestApp};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn tables(conn: &mut DbConnection) -> Vec<String> {
    let rows: Vec<Row> = match conn {
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap(),
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap(),
    };
    rows.into_iter().map(|r| r.name).collect()
}

fn columns(conn: &mut DbConnection, table: &str) -> Vec<String> {
    let rows: Vec<Row> = match conn {
        DbConnection::Postgres(c) => diesel::sql_query(format!(
            "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = '{table}'"
        ))
        .load(c)
        .unwrap(),
        DbConnection::Sqlite(c) => {
            diesel::sql_query(format!("SELECT name FROM pragma_table_info('{table}')")).load(c).unwrap()
        }
    };
    rows.into_iter().map(|r| r.name).collect()
}

/// (table, column) of every foreign key that no index starts with.
fn unindexed_foreign_keys(conn: &mut DbConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Fk {
        #[diesel(sql_type = diesel::sql_types::Text)]
        tbl: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        col: String,
    }
    let fks: Vec<Fk> = match conn {
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT cl.relname::text AS tbl, a.attname::text AS col FROM pg_constraint co \
             JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1] \
             WHERE co.contype = 'f' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = co.conrelid \
               AND (i.indkey[0] = co.conkey[1] OR (i.indkey[0] <> co.conkey[1] AND i.indkey[1] = co.conkey[1] AND \
                 (SELECT attname FROM pg_attribute WHERE attrelid = co.conrelid AND attnum = i.indkey[0]) = 'org_id')))",
        )
        .load(c)
        .unwrap(),
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS tbl, f.\"from\" AS col FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) il, pragma_index_info(il.name) ii \
               WHERE ii.name = f.\"from\" AND (ii.seqno = 0 OR (ii.seqno = 1 AND EXISTS (SELECT 1 FROM pragma_index_info(il.name) first WHERE first.seqno = 0 AND first.name = 'org_id'))))",
        )
        .load(c)
        .unwrap(),
    };
    fks.into_iter().map(|f| format!("{}.{}", f.tbl, f.col)).collect()
}

fn check_rules(conn: &mut DbConnection) {
    let all = tables(conn);
    assert!(all.contains(&"users".to_string()), "{all:?}");
    for table in &all {
        // job_schedules is platform-wide: the runs it starts are each organization's jobs;
        // rate_limit_counters count principals and client addresses, before any organization.
        if !["organizations", "job_schedules", "rate_limit_counters"].contains(&table.as_str()) {
            assert!(columns(conn, table).contains(&"org_id".to_string()), "{table} has no org_id");
        }
    }
    // An index (org_id, x) serves lookups by org and x, so it counts for x.
    assert_eq!(unindexed_foreign_keys(conn), Vec::<String>::new());
}

async fn migrations_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut conn = app.conn();
    check_rules(&mut conn);
    conn.revert_all().unwrap();
    assert!(tables(&mut conn).is_empty(), "revert left tables behind");
    conn.migrate().unwrap();
    assert!(conn.is_migrated().unwrap());
    check_rules(&mut conn);
}

#[actix_web::test]
async fn migrations_round_trip_sqlite() {
    migrations_round_trip(Backend::Sqlite).await
}

#[actix_web::test]
async fn migrations_round_trip_postgres() {
    migrations_round_trip(Backend::Postgres).await
}

/// table → column → (diesel type without `Nullable`, nullable).
type Shape = std::collections::BTreeMap<String, std::collections::BTreeMap<String, (String, bool)>>;

/// What `schema.rs` declares, read from its `table!` blocks.
fn declared() -> Shape {
    let text = include_str!("../../../core/src/schema.rs");
    let mut shape = Shape::new();
    let (mut table, mut renamed): (Option<String>, Option<String>) = (None, None);
    for line in text.lines().map(str::trim) {
        if table.is_none() && line.ends_with('{') && line.contains(" (") {
            table = line.split_whitespace().next().map(str::to_string);
        } else if let Some(name) = line.strip_prefix("#[sql_name = \"").and_then(|l| l.strip_suffix("\"]")) {
            renamed = Some(name.to_string());
        } else if let (Some(t), Some((column, ty))) = (&table, line.trim_end_matches(',').split_once(" -> ")) {
            let (ty, nullable) = match ty.strip_prefix("Nullable<").and_then(|t| t.strip_suffix('>')) {
                Some(inner) => (inner.to_string(), true),
                None => (ty.to_string(), false),
            };
            let column = renamed.take().unwrap_or_else(|| column.to_string());
            shape.entry(t.clone()).or_default().insert(column, (ty, nullable));
        } else if line == "}" {
            table = None;
        }
    }
    shape
}

/// What the migrated database has, in diesel's type names.
fn migrated(conn: &mut DbConnection) -> Shape {
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        ty: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        nullable: bool,
    }
    let mut shape = Shape::new();
    for table in tables(conn) {
        let cols: Vec<Col> = match conn {
            DbConnection::Postgres(c) => diesel::sql_query(format!(
                "SELECT column_name::text AS name, data_type::text AS ty, is_nullable = 'YES' AS nullable \
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}'"
            ))
            .load(c)
            .unwrap(),
            // SQLite lets a non-INTEGER primary key hold NULL unless told otherwise; the API never
            // writes one, and diesel reads it as NOT NULL.
            DbConnection::Sqlite(c) => diesel::sql_query(format!(
                "SELECT name, upper(type) AS ty, (\"notnull\" = 0 AND pk = 0) AS nullable FROM pragma_table_info('{table}')"
            ))
            .load(c)
            .unwrap(),
        };
        for col in cols {
            let ty = match col.ty.as_str() {
                "text" | "character varying" | "TEXT" => "Text",
                "bigint" | "BIGINT" => "BigInt",
                "integer" | "INTEGER" => "Integer",
                "timestamp without time zone" | "TIMESTAMP" => "Timestamp",
                "boolean" | "BOOLEAN" => "Bool",
                "double precision" | "DOUBLE PRECISION" | "REAL" => "Double",
                "bytea" | "BLOB" => "Binary",
                other => other,
            };
            shape.entry(table.clone()).or_default().insert(col.name, (ty.to_string(), col.nullable));
        }
    }
    shape
}

/// Lines that differ between two shapes, for a readable failure.
fn differences(left: &Shape, right: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    for table in left.keys().chain(right.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (l, r) = (left.get(table), right.get(table));
        let columns: std::collections::BTreeSet<_> = l.into_iter().chain(r).flat_map(|c| c.keys()).collect();
        for column in columns {
            let (a, b) = (l.and_then(|c| c.get(column)), r.and_then(|c| c.get(column)));
            if a != b {
                out.push(format!("{table}.{column}: {a:?} vs {b:?}"));
            }
        }
    }
    out
}

async fn schema_rs_matches_the_database(app: TestApp) {
    let (declared, database) = (declared(), migrated(&mut app.conn()));
    assert!(declared.len() >= 20 && declared["contacts"].len() >= 20, "schema.rs was not read: {declared:?}");
    assert_eq!(differences(&declared, &database), Vec::<String>::new(), "schema.rs vs the migrated database");
}

#[actix_web::test]
async fn sqlite_and_postgres_migrations_agree() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    let postgres = TestApp::spawn(Backend::Postgres).await;
    let names = |shape: Shape| -> Vec<(String, String)> {
        shape.into_iter().flat_map(|(t, cols)| cols.into_keys().map(move |c| (t.clone(), c))).collect()
    };
    assert_eq!(names(migrated(&mut sqlite.conn())), names(migrated(&mut postgres.conn())));
}

crate::both!(schema_rs_matches_the_database);
