//! Files kept in the database in ~1 MiB chunks: uploads (imports) and outputs (exports).
//!
//! Every instance sharing the database sees the same files, with no shared disk or object
//! store to run, and a file never sits whole in memory: an upload is written chunk by chunk
//! while the body streams in ([`Upload`]), a job reads one chunk at a time through
//! [`FileReader`] (`std::io::Read`) or writes through [`FileWriter`] (`std::io::Write`), and a
//! download streams chunk by chunk ([`download_stream`]).

pub mod model;

use actix_web::web::Bytes;
use futures_util::Stream;

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::scope::Scope;

pub use model::{FileRow, new_file};

/// Bytes per stored chunk.
pub const CHUNK_BYTES: usize = 1 << 20;

/// An upload being written from an HTTP body: each full chunk is stored in its own short
/// write transaction, so a slow client never holds the (SQLite) write connection.
pub struct Upload {
    db: Db,
    scope: Scope,
    pub file_id: String,
    buffer: Vec<u8>,
    next_seq: i32,
    pub size: i64,
}

/// An upload commits as it streams ([`Db::write_apart`]), outside the transaction of the
/// request that sends it: a file of minutes holds no transaction open. A file never finished
/// is purged by the hourly `files.purge_abandoned` job.
impl Upload {
    /// Starts a file (status `writing`).
    pub async fn start(db: &Db, scope: &Scope, purpose: &str, filename: &str, content_type: &str) -> ApiResult<Upload> {
        let (owner, purpose, filename, content_type) =
            (scope.clone(), purpose.to_string(), filename.to_string(), content_type.to_string());
        let file_id = db.write_apart(move |conn| new_file(conn, &owner, &purpose, &filename, &content_type)).await?;
        Ok(Upload {
            db: db.clone(),
            scope: scope.clone(),
            file_id,
            buffer: Vec::with_capacity(CHUNK_BYTES),
            next_seq: 0,
            size: 0,
        })
    }

    pub async fn write(&mut self, mut bytes: &[u8]) -> ApiResult<()> {
        while !bytes.is_empty() {
            let room = CHUNK_BYTES - self.buffer.len();
            let take = room.min(bytes.len());
            self.buffer.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            self.size += take as i64;
            if self.buffer.len() == CHUNK_BYTES {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> ApiResult<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let data = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        let (scope, id, seq) = (self.scope.clone(), self.file_id.clone(), self.next_seq);
        self.db.write_apart(move |conn| model::append_chunk(conn, &scope, &id, seq, &data)).await?;
        self.next_seq += 1;
        Ok(())
    }

    /// Stores the last chunk and marks the file complete.
    pub async fn finish(mut self) -> ApiResult<String> {
        self.flush().await?;
        let (scope, id) = (self.scope.clone(), self.file_id.clone());
        self.db.write_apart(move |conn| model::complete(conn, &scope, &id)).await?;
        Ok(self.file_id)
    }

    /// Drops what was written (a refused upload).
    pub async fn discard(self) {
        let (scope, id) = (self.scope.clone(), self.file_id.clone());
        if let Err(e) = self.db.write_apart(move |conn| model::delete(conn, &scope, &id)).await {
            log::warn!("discarding upload {}: {e}", self.file_id);
        }
    }
}

/// Reads a stored file one chunk at a time, blocking (for job handlers).
pub struct FileReader {
    db: Db,
    scope: Scope,
    file_id: String,
    next_seq: i32,
    chunk_count: i32,
    current: Vec<u8>,
    pos: usize,
}

impl FileReader {
    pub fn open(db: &Db, scope: &Scope, file_id: &str) -> ApiResult<FileReader> {
        let file = db
            .read_now(|conn| model::find(conn, scope, file_id))?
            .filter(|f| f.status == model::COMPLETE)
            .ok_or_else(|| ApiError::not_found("file"))?;
        Ok(FileReader {
            db: db.clone(),
            scope: scope.clone(),
            file_id: file_id.to_string(),
            next_seq: 0,
            chunk_count: file.chunk_count,
            current: Vec::new(),
            pos: 0,
        })
    }
}

impl std::io::Read for FileReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.current.len() {
            if self.next_seq >= self.chunk_count {
                return Ok(0);
            }
            let seq = self.next_seq;
            let (scope, id) = (&self.scope, self.file_id.as_str());
            self.current = self
                .db
                .read_now(|conn| model::chunk(conn, scope, id, seq))
                .map_err(|e| std::io::Error::other(e.detail))?
                .ok_or_else(|| std::io::Error::other(format!("chunk {seq} of {id} is missing")))?;
            self.pos = 0;
            self.next_seq += 1;
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes a file chunk by chunk, blocking (for job handlers); [`FileWriter::finish`] completes it.
pub struct FileWriter {
    db: Db,
    scope: Scope,
    pub file_id: String,
    buffer: Vec<u8>,
    next_seq: i32,
}

impl FileWriter {
    pub fn create(db: &Db, scope: &Scope, purpose: &str, filename: &str, content_type: &str) -> ApiResult<FileWriter> {
        let file_id = db.write_now(|conn| new_file(conn, scope, purpose, filename, content_type))?;
        Ok(FileWriter {
            db: db.clone(),
            scope: scope.clone(),
            file_id,
            buffer: Vec::with_capacity(CHUNK_BYTES),
            next_seq: 0,
        })
    }

    fn store(&mut self) -> ApiResult<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let data = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        let (scope, id, seq) = (&self.scope, self.file_id.as_str(), self.next_seq);
        self.db.write_now(|conn| model::append_chunk(conn, scope, id, seq, &data))?;
        self.next_seq += 1;
        Ok(())
    }

    /// Stores the rest and marks the file complete; returns its id.
    pub fn finish(mut self) -> ApiResult<String> {
        self.store()?;
        let (scope, id) = (&self.scope, self.file_id.as_str());
        self.db.write_now(|conn| model::complete(conn, scope, id))?;
        Ok(self.file_id)
    }
}

impl std::io::Write for FileWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let take = (CHUNK_BYTES - self.buffer.len()).min(bytes.len());
        self.buffer.extend_from_slice(&bytes[..take]);
        if self.buffer.len() == CHUNK_BYTES {
            self.store().map_err(|e| std::io::Error::other(e.detail))?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stores `data` as a complete file on the caller's connection, in its transaction (an
/// e-mail's attachment goes with the comment it belongs to, or not at all); returns its id.
pub fn store(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    purpose: &str,
    filename: &str,
    content_type: &str,
    data: &[u8],
) -> ApiResult<String> {
    let file_id = new_file(conn, scope, purpose, filename, content_type)?;
    for (seq, chunk) in data.chunks(CHUNK_BYTES).enumerate() {
        let seq = i32::try_from(seq).map_err(|_| ApiError::internal("a file of too many chunks"))?;
        model::append_chunk(conn, scope, &file_id, seq, chunk)?;
    }
    model::complete(conn, scope, &file_id)?;
    Ok(file_id)
}

/// A complete file's bytes as a stream of chunks, read one at a time (a download body).
pub fn download_stream(
    db: Db,
    scope: Scope,
    file_id: String,
    chunk_count: i32,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    futures_util::stream::unfold(0, move |seq| {
        let (db, scope, id) = (db.clone(), scope.clone(), file_id.clone());
        async move {
            if seq >= chunk_count {
                return None;
            }
            let chunk = db.read(move |conn| model::chunk(conn, &scope, &id, seq)).await;
            let item = match chunk {
                Ok(Some(data)) => Ok(Bytes::from(data)),
                Ok(None) => Err(actix_web::Error::from(ApiError::internal("a file chunk is missing"))),
                Err(e) => Err(actix_web::Error::from(e)),
            };
            Some((item, seq + 1))
        }
    })
}
