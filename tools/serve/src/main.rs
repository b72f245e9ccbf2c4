//! `seq2seq-serve`: serves the playground page on the loopback interface, and writes the
//! precompressed copies it serves.
//!
//! ```text
//! seq2seq-serve [--port 8080] [--root .]      serve the page
//! seq2seq-serve precompress FILE...           write FILE.br and FILE.gz beside each file
//! seq2seq-serve sizes [--json] FILE...        raw, gzip and brotli bytes of the shipped files
//! ```

mod compress;
mod http;
mod sizes;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("precompress") => compress::precompress_all(&paths(&args[1..])),
        Some("sizes") => {
            let json = args.iter().any(|a| a == "--json");
            let files: Vec<&String> = args[1..].iter().filter(|a| *a != "--json").collect();
            sizes::print(&paths(&files), json)
        }
        Some("--help" | "-h") => {
            println!("{}", USAGE);
            Ok(())
        }
        _ => serve(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage: seq2seq-serve [--port N] [--root DIR]
       seq2seq-serve precompress FILE...
       seq2seq-serve sizes [--json] FILE...";

fn paths<S: AsRef<str>>(args: &[S]) -> Vec<PathBuf> {
    args.iter().map(|a| PathBuf::from(a.as_ref())).collect()
}

fn serve(args: &[String]) -> Result<(), String> {
    let (mut port, mut root) = (8080u16, PathBuf::from("."));
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--port" => {
                port = value
                    .parse()
                    .map_err(|_| format!("--port {value}: not a port number"))?
            }
            "--root" => root = PathBuf::from(value),
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    http::serve(port, &root)
}
