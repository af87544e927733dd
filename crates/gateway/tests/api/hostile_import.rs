//! A hostile import: a CSV whose one cell is 48 MiB, beside ordinary rows. The row fails on its
//! own, the others are imported, and the server's memory stays bounded throughout.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server_process::{ServerProcess, init};

const BOUNDARY: &str = "hostile-import-boundary";
/// How much the server may grow while it takes the file: less than the cell, which it must
/// never hold whole (its own size, idle, grows with the binary: not what this tests).
const MAX_GROWTH: u64 = 48 << 20;

#[actix_web::test]
async fn a_48_mib_cell_fails_its_row_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("crm.db").display());
    let api_key = init(&database_url);
    let server = ServerProcess::start(&database_url, &[]).await;
    let baseline = server.rss();

    let mut csv = b"First Name,Notes\nAda,short\nHuge,\"".to_vec();
    csv.resize(csv.len() + (48 << 20), b'x');
    csv.extend_from_slice(b"\"\nGrace,after\n");
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"options\"\r\nContent-Type: application/json\r\n\r\n\
         {{\"mapping\": {{\"First Name\": \"first_name\", \"Notes\": \"job_title\"}}}}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"hostile.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&csv);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    drop(csv);

    let client = reqwest::Client::new();
    let mut peak = server.rss();
    let upload = client
        .post(format!("{}/v1/imports", server.base))
        .bearer_auth(&api_key)
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send();
    let upload = actix_web::rt::spawn(upload);
    while !upload.is_finished() {
        peak = peak.max(server.rss());
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let reply = upload.await.unwrap().unwrap();
    assert_eq!(reply.status(), 202);
    let job: Value = reply.json().await.unwrap();
    let url = format!("{}/v1/imports/{}", server.base, job["id"].as_str().unwrap());
    let started = Instant::now();
    let done = loop {
        peak = peak.max(server.rss());
        let job: Value = client.get(&url).bearer_auth(&api_key).send().await.unwrap().json().await.unwrap();
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break job;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the import did not finish: {job}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["counts"]["created"], 2, "{done}");
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    let grown = peak.saturating_sub(baseline);
    assert!(grown < MAX_GROWTH, "the server's memory grew {} MiB (from {} MiB)", grown >> 20, baseline >> 20);
}
