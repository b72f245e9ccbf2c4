//! Precompressed copies: `FILE.br` (brotli, quality 11) and `FILE.gz` (gzip, level 9), written
//! once at build time so the server sends them without compressing on each request.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Brotli at its best quality (slow to write, once; fast to read).
const BROTLI_QUALITY: u32 = 11;
/// Brotli's window (log2 bytes): the largest, so a large module compresses as one.
const BROTLI_WINDOW: u32 = 24;

/// `data` brotli-compressed.
pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 1 << 16, BROTLI_QUALITY, BROTLI_WINDOW);
        writer.write_all(data).expect("writing to memory");
    }
    out
}

/// `data` gzip-compressed.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// The path of a file's copy with `suffix` (`br`, `gz`) added.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// `file`'s copy with `suffix` when it exists and is not older than the file (a copy left from
/// an earlier build is never used).
pub fn fresh_copy(file: &Path, suffix: &str) -> Option<PathBuf> {
    let modified = |path: &Path| path.metadata().and_then(|m| m.modified()).ok();
    let copy = with_suffix(file, suffix);
    (copy.is_file() && modified(&copy) >= modified(file)).then_some(copy)
}

/// Writes `FILE.br` and `FILE.gz` beside each file, in parallel.
pub fn precompress_all(files: &[PathBuf]) -> Result<(), String> {
    if files.is_empty() {
        return Err("precompress: no files given".into());
    }
    std::thread::scope(|scope| {
        let jobs: Vec<_> = files
            .iter()
            .map(|file| scope.spawn(move || precompress(file)))
            .collect();
        jobs.into_iter()
            .map(|job| {
                job.join()
                    .unwrap_or_else(|_| Err("a compression thread panicked".into()))
            })
            .collect::<Result<Vec<()>, String>>()
    })?;
    Ok(())
}

fn precompress(file: &Path) -> Result<(), String> {
    let data = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    for (suffix, bytes) in [("br", brotli(&data)), ("gz", gzip(&data))] {
        let out = with_suffix(file, suffix);
        std::fs::write(&out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn both_copies_decompress_to_the_original() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut back = Vec::new();
        brotli::Decompressor::new(&brotli(&data)[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&data)[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        assert!(brotli(&data).len() < data.len() / 10);
        assert_eq!(
            with_suffix(Path::new("pkg/a.wasm"), "br"),
            Path::new("pkg/a.wasm.br")
        );
    }
}
