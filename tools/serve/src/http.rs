//! The static file server: GET and HEAD on the loopback interface, the MIME types the page needs
//! (`application/wasm` for the module, so it compiles while it downloads), a file's brotli or
//! gzip copy when the browser accepts it and the copy is up to date, and cache validation
//! (`ETag`, `304 Not Modified`).

use super::compress::fresh_copy;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

/// MIME type by file extension.
pub fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "txt" | "tsv" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Maps a request path to a file under `root`, refusing anything that climbs out of it.
pub fn resolve(root: &Path, request_path: &str) -> Option<PathBuf> {
    let path = request_path.split(['?', '#']).next().unwrap_or("/");
    let relative = Path::new(path.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

/// What to send for a file: the file itself or a precompressed copy, with its encoding.
#[derive(Debug, PartialEq, Eq)]
pub struct Choice {
    /// The file whose bytes are sent.
    pub body: PathBuf,
    /// `Content-Encoding`, when a compressed copy is sent.
    pub encoding: Option<&'static str>,
}

/// The best copy of `file` the client accepts (`Accept-Encoding`): brotli, then gzip, then the
/// file itself. A copy older than the file (a rebuild without precompressing) is never sent.
pub fn choose(file: &Path, accept_encoding: &str) -> Choice {
    let accepts = |name: &str| {
        accept_encoding
            .split(',')
            .map(|part| part.split(';').collect::<Vec<_>>())
            .any(|part| part[0].trim() == name && !part[1..].iter().any(|q| q.trim() == "q=0"))
    };
    for (encoding, suffix) in [("br", "br"), ("gzip", "gz")] {
        if let Some(copy) = fresh_copy(file, suffix).filter(|_| accepts(encoding)) {
            return Choice {
                body: copy,
                encoding: Some(encoding),
            };
        }
    }
    Choice {
        body: file.to_path_buf(),
        encoding: None,
    }
}

/// A validator for the bytes at `path`: its size and modification time.
pub fn etag(path: &Path) -> std::io::Result<String> {
    let meta = path.metadata()?;
    let modified = meta
        .modified()?
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok(format!("\"{:x}-{modified:x}\"", meta.len()))
}

fn status_only(stream: &mut TcpStream, status: &str, extra: &str) -> std::io::Result<()> {
    stream.write_all(
        format!("HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
}

fn respond(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let (mut accept_encoding, mut if_none_match) = (String::new(), String::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "accept-encoding" => accept_encoding = value.trim().to_string(),
                "if-none-match" => if_none_match = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return status_only(&mut stream, "405 Method Not Allowed", "");
    }
    let Some(file) = resolve(root, target) else {
        let body = format!("not found: {target}\n");
        return stream.write_all(
            format!(
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    };
    let choice = choose(&file, &accept_encoding);
    let tag = etag(&choice.body)?;
    // Revalidate every time (the files change with each build), but send nothing when unchanged.
    let cache = format!("Cache-Control: no-cache\r\nETag: {tag}\r\nVary: Accept-Encoding\r\n");
    if if_none_match.split(',').any(|t| t.trim() == tag) {
        return status_only(&mut stream, "304 Not Modified", &cache);
    }
    let body = std::fs::read(&choice.body)?;
    let encoding = choice
        .encoding
        .map(|e| format!("Content-Encoding: {e}\r\n"))
        .unwrap_or_default();
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\n{encoding}Content-Length: {}\r\n{cache}Connection: close\r\n\r\n",
        mime_type(&file),
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    if method == "GET" {
        stream.write_all(&body)?;
    }
    Ok(())
}

/// Serves `root` on 127.0.0.1:`port` until interrupted.
pub fn serve(port: u16, root: &Path) -> Result<(), String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot serve {}: {e}", root.display()))?;
    let address = format!("127.0.0.1:{port}");
    let listener = TcpListener::bind(&address).map_err(|e| {
        format!("cannot listen on {address}: {e} (is another server using port {port}? try --port)")
    })?;
    // The port really bound (`--port 0` picks a free one).
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    println!(
        "serving {} on http://localhost:{port}/ (Ctrl-C stops)",
        root.display()
    );
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = respond(stream, &root);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn wasm_gets_its_mime_type_and_paths_cannot_escape() {
        assert_eq!(mime_type(Path::new("pkg/a.wasm")), "application/wasm");
        assert_eq!(
            mime_type(Path::new("www/app.js")),
            "text/javascript; charset=utf-8"
        );
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(resolve(root, "/Cargo.toml").is_some());
        assert!(resolve(root, "/../etc/passwd").is_none());
        assert!(resolve(root, "/src/../Cargo.toml").is_none());
        assert!(resolve(root, "/nope.txt").is_none());
    }

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("seq2seq-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_best_accepted_up_to_date_copy_is_chosen() {
        let dir = folder("choose");
        let file = dir.join("m.wasm");
        std::fs::write(&file, b"module").unwrap();
        assert_eq!(
            choose(&file, "gzip, deflate, br").encoding,
            None,
            "no copies yet"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        super::super::compress::precompress_all(std::slice::from_ref(&file)).unwrap();
        assert_eq!(
            choose(&file, "gzip, deflate, br, zstd").encoding,
            Some("br")
        );
        assert_eq!(choose(&file, "gzip").encoding, Some("gzip"));
        assert_eq!(choose(&file, "br;q=0, gzip").encoding, Some("gzip"));
        assert_eq!(choose(&file, "").encoding, None);
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&file, b"rebuilt module").unwrap();
        assert_eq!(
            choose(&file, "br, gzip").encoding,
            None,
            "stale copies are not sent"
        );
    }

    fn get(port: u16, path: &str, headers: &str) -> (String, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n").unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (
            String::from_utf8_lossy(&response[..split]).into_owned(),
            response[split + 4..].to_vec(),
        )
    }

    #[test]
    fn serves_brotli_to_a_browser_and_revalidates_with_304() {
        let dir = folder("http");
        let file = dir.join("m.wasm");
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 7) as u8).collect();
        std::fs::write(&file, &data).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        super::super::compress::precompress_all(std::slice::from_ref(&file)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let root = dir.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = respond(stream, &root);
            }
        });
        let (head, body) = get(port, "/m.wasm", "Accept-Encoding: gzip, br\r\n");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("Content-Type: application/wasm"), "{head}");
        assert!(head.contains("Content-Encoding: br"), "{head}");
        let mut back = Vec::new();
        brotli::Decompressor::new(&body[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        let tag = head
            .lines()
            .find_map(|l| l.strip_prefix("ETag: "))
            .unwrap()
            .to_string();
        let (head, body) = get(
            port,
            "/m.wasm",
            &format!("Accept-Encoding: gzip, br\r\nIf-None-Match: {tag}\r\n"),
        );
        assert!(head.starts_with("HTTP/1.1 304"), "{head}");
        assert!(body.is_empty());
        let (head, body) = get(port, "/m.wasm", "");
        assert!(!head.contains("Content-Encoding"), "{head}");
        assert_eq!(body, data);
        let (head, _) = get(port, "/../etc/passwd", "");
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    }
}
