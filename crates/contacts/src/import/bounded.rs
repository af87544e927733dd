//! CSV rows read in bounded memory, whatever the file holds: a row is read into a buffer of at
//! most the row limit, and a row past it is skipped to its end (read, not kept) and reported
//! as too large, so a 48 MiB cell costs no more memory than a short row. A cell over the cell
//! limit fails its row the same way.

use std::io::Read;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// The most fields a row may have (beyond it, the row is too large).
const MAX_FIELDS: usize = 4096;
/// Bytes read from the file at a time.
const READ_AHEAD: usize = 64 * 1024;

/// One row: its cells, or why it was not kept.
pub type Row = Result<Vec<String>, String>;

pub struct BoundedRows<R> {
    source: R,
    parser: Reader,
    input: Vec<u8>,
    /// The unread part of `input`: `input[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    output: Vec<u8>,
    ends: Vec<usize>,
    max_cell: usize,
}

impl<R: Read> BoundedRows<R> {
    pub fn new(source: R, delimiter: u8, max_row: usize, max_cell: usize) -> Self {
        BoundedRows {
            source,
            parser: ReaderBuilder::new().delimiter(delimiter).build(),
            input: vec![0; READ_AHEAD],
            start: 0,
            end: 0,
            eof: false,
            output: vec![0; max_row],
            ends: vec![0; MAX_FIELDS],
            max_cell,
        }
    }

    /// The next row, `None` at the end of the file.
    pub fn next_row(&mut self) -> std::io::Result<Option<Row>> {
        let (mut written, mut fields, mut overflow) = (0, 0, false);
        loop {
            if self.start == self.end && !self.eof {
                self.end = self.source.read(&mut self.input)?;
                self.start = 0;
                self.eof = self.end == 0;
            }
            let (result, read, out, ended) = self.parser.read_record(
                &self.input[self.start..self.end],
                &mut self.output[written..],
                &mut self.ends[fields..],
            );
            self.start += read;
            written += out;
            fields += ended;
            match result {
                ReadRecordResult::InputEmpty => {}
                // Past a limit: keep reading the row to its end, keeping nothing.
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    overflow = true;
                    (written, fields) = (0, 0);
                }
                ReadRecordResult::Record if overflow => {
                    return Ok(Some(Err(format!("the row is over {} bytes or {MAX_FIELDS} cells", self.output.len()))));
                }
                ReadRecordResult::Record => return Ok(Some(self.cells(written, fields))),
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn cells(&self, written: usize, fields: usize) -> Row {
        let mut cells = Vec::with_capacity(fields);
        let mut from = 0;
        for (i, &to) in self.ends[..fields].iter().enumerate() {
            let cell = &self.output[from..to.min(written)];
            if cell.len() > self.max_cell {
                return Err(format!("cell {} is over {} bytes", i + 1, self.max_cell));
            }
            cells.push(String::from_utf8_lossy(cell).into_owned());
            from = to;
        }
        Ok(cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &[u8], max_row: usize, max_cell: usize) -> Vec<Row> {
        let mut reader = BoundedRows::new(csv, b',', max_row, max_cell);
        std::iter::from_fn(|| reader.next_row().unwrap()).collect()
    }

    #[test]
    fn rows_and_quoted_cells() {
        let read = rows(b"a,b\n\"x,1\",\"say \"\"hi\"\"\"\r\nlast,row", 1024, 1024);
        assert_eq!(
            read,
            [
                Ok(vec!["a".into(), "b".into()]),
                Ok(vec!["x,1".into(), "say \"hi\"".into()]),
                Ok(vec!["last".into(), "row".into()])
            ]
        );
    }

    #[test]
    fn a_huge_row_is_skipped_whole_and_the_next_one_read() {
        let mut csv = b"name,note\nAda,short\nBig,\"".to_vec();
        csv.extend(std::iter::repeat_n(b'x', 3 * READ_AHEAD + 17));
        csv.extend(b"\nstill in the cell\"\nGrace,after\n");
        let read = rows(&csv, 4096, 1024);
        assert_eq!(read.len(), 4);
        assert_eq!(read[1], Ok(vec!["Ada".to_string(), "short".to_string()]));
        assert!(read[2].as_ref().is_err_and(|e| e.contains("over 4096 bytes")), "{:?}", read[2]);
        assert_eq!(read[3], Ok(vec!["Grace".to_string(), "after".to_string()]));
    }

    #[test]
    fn a_cell_over_its_limit_fails_its_row() {
        let read = rows(b"a,b\nok,0123456789abcdef\n", 1024, 8);
        assert_eq!(read[0], Ok(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(read[1], Err("cell 2 is over 8 bytes".to_string()));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes at all: rows or row errors, never a panic, and every byte read.
            #[test]
            fn any_bytes_are_rows_or_row_errors(bytes in prop::collection::vec(any::<u8>(), 0..2000), max_row in 1usize..64) {
                let read = rows(&bytes, max_row, max_row);
                prop_assert!(read.len() <= bytes.len() + 1);
            }

            /// What a CSV writer wrote reads back cell for cell, within the limits (but a byte
            /// order mark opening the file, which is read as the encoding's, not as text).
            #[test]
            fn written_rows_read_back(
                table in prop::collection::vec(prop::collection::vec("[^\\r]{0,20}", 1..5), 1..10)
                    .prop_filter("no leading byte order mark", |t| !t[0][0].starts_with('\u{feff}'))
            ) {
                let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
                for row in &table {
                    writer.write_record(row).unwrap();
                }
                let bytes = writer.into_inner().unwrap();
                let read: Vec<Vec<String>> = rows(&bytes, 4096, 4096).into_iter().map(Result::unwrap).collect();
                // The csv crate writes an empty one-cell row as `""`, which reads back as one empty cell.
                prop_assert_eq!(read, table);
            }
        }
    }
}
