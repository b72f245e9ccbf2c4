//! What the page ships: each file's raw, gzip and brotli bytes, and the totals.

use super::compress::{brotli, fresh_copy, gzip};
use std::path::{Path, PathBuf};

/// The size of `file`'s up-to-date precompressed copy (`suffix`), else of `compress(data)`.
fn compressed_len(file: &Path, suffix: &str, data: &[u8], compress: fn(&[u8]) -> Vec<u8>) -> usize {
    fresh_copy(file, suffix)
        .and_then(|copy| copy.metadata().ok())
        .map_or_else(|| compress(data).len(), |meta| meta.len() as usize)
}

/// Prints a table (or one JSON line) of the files' sizes (up-to-date `.br`/`.gz` copies are
/// measured as they are, others compressed here with the same settings).
pub fn print(files: &[PathBuf], json: bool) -> Result<(), String> {
    if files.is_empty() {
        return Err("sizes: no files given".into());
    }
    let rows: Vec<(String, [usize; 3])> = std::thread::scope(|scope| {
        let jobs: Vec<_> = files
            .iter()
            .map(|file| {
                scope.spawn(move || {
                    let data = std::fs::read(file)
                        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                    Ok((
                        file.display().to_string(),
                        [
                            data.len(),
                            compressed_len(file, "gz", &data, gzip),
                            compressed_len(file, "br", &data, brotli),
                        ],
                    ))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|job| {
                job.join()
                    .unwrap_or_else(|_| Err("a thread panicked".to_string()))
            })
            .collect::<Result<_, String>>()
    })?;
    let total = rows.iter().fold([0; 3], |sum, (_, s)| {
        [sum[0] + s[0], sum[1] + s[1], sum[2] + s[2]]
    });
    if json {
        let files: Vec<String> = rows
            .iter()
            .map(|(name, [raw, gz, br])| {
                format!(r#"{{"file":"{name}","raw":{raw},"gzip":{gz},"brotli":{br}}}"#)
            })
            .collect();
        println!(
            r#"{{"files":[{}],"total":{{"raw":{},"gzip":{},"brotli":{}}}}}"#,
            files.join(","),
            total[0],
            total[1],
            total[2]
        );
    } else {
        println!(
            "{:<44} {:>12} {:>12} {:>12}",
            "file", "raw", "gzip", "brotli"
        );
        for (name, [raw, gz, br]) in rows.iter().chain([("total".to_string(), total)].iter()) {
            println!("{name:<44} {raw:>12} {gz:>12} {br:>12}");
        }
    }
    Ok(())
}
