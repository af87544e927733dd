//! Migrations apply, revert and re-apply on both backends; schema rules hold.

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
        // search_fts* is FTS5's index of search_documents (a virtual table and its shadow tables).
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_fts%' AND name <> '__diesel_schema_migrations'",
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
        if table != "organizations" {
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
