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
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT m.name AS name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations' AND {NOT_FTS}"
        ))
        .load(c)
        .unwrap(),
    };
    rows.into_iter().map(|r| r.name).collect()
}

fn columns(conn: &mut DbConnection, table: &str) -> Vec<String> {
    let rows: Vec<Row> = match conn {
        DbConnection::Postgres(c) => diesel::sql_query(format!(
            "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = '{table}' AND {NOT_GENERATED}"
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

/// Tables read before an organization is known (by a key's hash, a login's e-mail, a job
/// schedule's kind, a rate-limit key): reference tables when distributed by organization.
/// (kb_sites holds each organization's public knowledge-base slug, and customer_tokens the
/// customer portal's tokens, unique across them: both are looked up before any organization is
/// known.)
const REFERENCE_TABLES: [&str; 8] = [
    "organizations",
    "users",
    "api_keys",
    "refresh_tokens",
    "job_schedules",
    "rate_limit_counters",
    "kb_sites",
    "customer_tokens",
];

/// SQLite: not a full-text index (an FTS5 virtual table, or one of the tables it keeps itself),
/// which is an index, not a table of the schema (PostgreSQL's is a GIN index).
const NOT_FTS: &str = "m.name NOT IN (SELECT v.name FROM sqlite_master v WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%') \
     AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%' AND m.name LIKE v.name || '\\_%' ESCAPE '\\')";

/// PostgreSQL: not a generated column (the knowledge base's `search_document`, the words the
/// database keeps for its full-text index), which, like SQLite's FTS tables, is the engine's
/// index of other columns, never read or written by the API.
const NOT_GENERATED: &str = "is_generated = 'NEVER'";

/// `table` for every table whose primary key does not start with org_id, and `table.index`
/// for every unique index that does not: what distributing by organization (Citus) forbids.
/// (custom_field_values has no primary key: a record may hold several values of a field.)
fn keys_without_org(conn: &mut DbConnection) -> Vec<String> {
    let rows: Vec<Row> = match conn {
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '__diesel_schema_migrations' \
               AND EXISTS (SELECT 1 FROM pg_index x JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0] \
                 WHERE x.indrelid = c.oid AND x.indisprimary AND a.attname <> 'org_id') \
             UNION ALL \
             SELECT c.relname::text || '.' || i.relname::text FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid \
               JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND x.indisunique AND c.relname <> '__diesel_schema_migrations' \
               AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = x.indkey[0] AND a.attname = 'org_id')",
        )
        .load(c)
        .unwrap(),
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT m.name AS name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
               AND m.name <> '__diesel_schema_migrations' AND {NOT_FTS} \
               AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.pk = 1 AND p.name <> 'org_id') \
             UNION ALL \
             SELECT m.name || '.' || il.name FROM sqlite_master m, pragma_index_list(m.name) il \
             WHERE m.type = 'table' AND m.name <> '__diesel_schema_migrations' AND {NOT_FTS} AND il.\"unique\" = 1 \
               AND NOT EXISTS (SELECT 1 FROM pragma_index_info(il.name) ii WHERE ii.seqno = 0 AND ii.name = 'org_id')",
        ))
        .load(c)
        .unwrap(),
    };
    let reference = |name: &str| REFERENCE_TABLES.contains(&name.split('.').next().unwrap_or(name));
    rows.into_iter().map(|r| r.name).filter(|name| !reference(name)).collect()
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
    // Ready to distribute by organization.
    assert_eq!(keys_without_org(conn), Vec::<String>::new());
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
    // The platform's tables, and those a domain declares itself.
    let text = [
        include_str!("../../../core/src/schema.rs"),
        include_str!("../../../webhooks/src/schema.rs"),
        include_str!("../../../sales/src/schema.rs"),
        include_str!("../../../service/src/schema.rs"),
    ]
    .concat();
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
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' AND {NOT_GENERATED}"
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

/// The migration to keys that start with org_id keeps every row of a database in use, and the
/// records read the same through the API after it; the composite foreign keys hold.
async fn organization_keys_migration_keeps_the_data(app: TestApp) {
    use serde_json::json;
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Acme", "domain": "acme.example"})).await;
    company.expect(201);
    let company_id = company.body["id"].as_str().unwrap().to_string();
    let contact = app
        .post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": "Ada", "emails": [{"address": "ada@acme.example"}], "tags": ["vip"]}),
        )
        .await;
    contact.expect(201);
    let contact_id = contact.body["id"].as_str().unwrap().to_string();
    let link = app.put(&format!("/v1/contacts/{contact_id}/companies/{company_id}"), &app.admin_key, json!({})).await;
    assert!(link.status == 200 || link.status == 201, "{}", link.text);
    app.post("/v1/activities", &app.admin_key, json!({"kind": "note", "body": "Met", "contact_ids": [contact_id]}))
        .await
        .expect(201);
    app.post("/v1/teams", &app.admin_key, json!({"name": "Sales"})).await.expect(201);
    let tables = [
        "contacts",
        "companies",
        "contact_companies",
        "contact_emails",
        "activities",
        "activity_links",
        "teams",
        "events",
        "audit_log",
        "search_terms",
    ];
    let counts = |app: &TestApp| tables.map(|t| app.count(t));
    let before = counts(&app);
    assert!(before.iter().all(|&n| n > 0), "{tables:?} {before:?}");
    // Reverts migrations, newest first, through 000090; later migrations come back with it.
    let revert_through_organization_keys = |conn: &mut DbConnection| loop {
        use crm_core::db::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
        use diesel_migrations::MigrationHarness;
        let version = match conn {
            DbConnection::Postgres(c) => c.revert_last_migration(POSTGRES_MIGRATIONS).unwrap().to_string(),
            DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS).unwrap().to_string(),
        };
        if version.contains("000090") {
            break;
        }
    };
    revert_through_organization_keys(&mut app.conn());
    assert_eq!(counts(&app), before, "reverting lost rows");
    assert!(!keys_without_org(&mut app.conn()).is_empty());
    app.conn().migrate().unwrap();
    assert_eq!(counts(&app), before, "migrating lost rows");
    assert_eq!(keys_without_org(&mut app.conn()), Vec::<String>::new());
    let read = app.get(&format!("/v1/contacts/{contact_id}"), &app.admin_key).await;
    read.expect(200);
    assert_eq!(read.body["emails"][0]["address"], "ada@acme.example");
    let timeline = app.get(&format!("/v1/contacts/{contact_id}/timeline"), &app.admin_key).await;
    timeline.expect(200);
    // (org_id, contact_id) → contacts (org_id, id): a link to another organization's contact fails.
    let mut conn = app.conn();
    let orphan = diesel::sql_query(format!(
        "INSERT INTO contact_emails (org_id, email, contact_id) VALUES ('{}', 'x@y.example', '{contact_id}')",
        crm_core::schema::organizations::table
            .filter(crm_core::schema::organizations::id.ne(&app.org_id))
            .select(crm_core::schema::organizations::id)
            .first::<String>(&mut *conn)
            .unwrap()
    ))
    .execute(&mut *conn);
    assert!(orphan.is_err(), "a contact e-mail of another organization's contact was accepted");
}

crate::both!(organization_keys_migration_keeps_the_data);
