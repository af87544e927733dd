//! `embed_migrations!` reads the migration folders at compile time, but cargo does not know
//! it does: without this, a new migration left a stale list in an incremental build (the tests
//! then ran against the schema before it).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
