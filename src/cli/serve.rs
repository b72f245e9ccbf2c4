//! `serve`: a small static file server for the playground page, on the loopback interface,
//! with the MIME types the page needs (`application/wasm` for the module).

use super::args::ServeArgs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

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

fn respond(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return stream.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
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
    let body = std::fs::read(&file)?;
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        mime_type(&file),
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    if method == "GET" {
        stream.write_all(&body)?;
    }
    Ok(())
}

/// Runs `serve` until interrupted.
pub fn run(args: ServeArgs) -> Result<(), String> {
    let root = args
        .root
        .canonicalize()
        .map_err(|e| format!("cannot serve {}: {e}", args.root.display()))?;
    let address = format!("127.0.0.1:{}", args.port);
    let listener = TcpListener::bind(&address).map_err(|e| {
        format!(
            "cannot listen on {address}: {e} (is another server using port {}? try --port)",
            args.port
        )
    })?;
    println!(
        "serving {} on http://localhost:{}/ (Ctrl-C stops)",
        root.display(),
        args.port
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
}
