//! The command line as a person runs it: own data from a file, the device flag, resuming a run
//! bit for bit, and Ctrl-C writing a checkpoint.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seq2seq-playground"))
}

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    binary().args(args).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// A small run: fast, and its epochs turn within a few steps.
const SMALL: [&str; 8] = [
    "--dataset-size",
    "60",
    "--batch-size",
    "8",
    "--hidden",
    "16",
    "--embedding",
    "8",
];

#[test]
fn train_on_own_data_reports_refused_lines_by_number_and_translates() {
    let dir = folder("own-data");
    let data = dir.join("pairs.tsv");
    let mut lines = String::new();
    for (i, word) in ["cat", "dog", "sun", "moon", "tree", "fish", "bird", "rain"]
        .iter()
        .enumerate()
    {
        lines.push_str(&format!(
            "{word}\t{}\n",
            word.chars().rev().collect::<String>()
        ));
        if i == 2 {
            lines.push_str("this line has no tab\n"); // line 4
        }
    }
    lines.push_str("\tempty source\n"); // line 10
    std::fs::write(&data, lines).unwrap();
    let checkpoint = dir.join("own.s2s");
    let output = run(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--valid-fraction",
        "0.25",
        "--steps",
        "4",
        "--eval-every",
        "2",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
    ]);
    succeeded(&output);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        stdout.contains(
            "8 good pairs (sources as characters, targets as characters), 2 line(s) refused"
        ),
        "{stdout}"
    );
    assert!(stderr.contains("line 4: no tab"), "{stderr}");
    assert!(
        stderr.contains("line 10: the source (before the tab) is empty"),
        "{stderr}"
    );
    assert!(
        stdout.contains("own data: 6 training / 2 validation pairs"),
        "{stdout}"
    );

    let output = run(&[
        "translate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "cat",
    ]);
    succeeded(&output);
    assert!(
        text(&output.stdout).contains("out\\in"),
        "{}",
        text(&output.stdout)
    );

    // The run goes on with its own data, read back from the checkpoint.
    let output = run(&[
        "train",
        "--resume",
        checkpoint.to_str().unwrap(),
        "--steps",
        "6",
        "--checkpoint",
        dir.join("more.s2s").to_str().unwrap(),
    ]);
    succeeded(&output);
    assert!(text(&output.stdout).contains("own data: 6 training"));
}

#[test]
fn a_file_without_enough_good_pairs_is_refused_with_its_reasons() {
    let dir = folder("bad-data");
    let data = dir.join("bad.tsv");
    std::fs::write(&data, "no tab at all\nab\tba\n").unwrap();
    let output = run(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--checkpoint",
        dir.join("x.s2s").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("line 1: no tab"), "{stderr}");
    assert!(
        stderr.contains("not enough good pairs to train (1 good, at least 2 needed)"),
        "{stderr}"
    );
    assert!(!dir.join("x.s2s").exists());

    let output = run(&["train", "--data", dir.join("missing.tsv").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read"));
}

/// `train` of the small model with `flags`, writing `checkpoint`.
fn small_train<'a>(flags: &[&'a str], checkpoint: &'a Path) -> Vec<&'a str> {
    let mut args = vec!["train"];
    args.extend(flags);
    args.extend(SMALL);
    args.extend(["--checkpoint", checkpoint.to_str().unwrap()]);
    args
}

#[test]
fn the_device_flag_trains_on_the_cpu_and_explains_a_missing_wgpu_build() {
    let dir = folder("device");
    let checkpoint = dir.join("cpu.s2s");
    let output = run(&small_train(
        &["--device", "cpu", "--steps", "2"],
        &checkpoint,
    ));
    succeeded(&output);
    assert!(text(&output.stdout).contains("training on burn flex, CPU"));
    let output = run(&[
        "translate",
        "--device",
        "cpu",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "abc",
    ]);
    succeeded(&output);
    if cfg!(not(feature = "wgpu")) {
        let output = run(&["train", "--device", "wgpu", "--steps", "1"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(text(&output.stderr).contains("built without the `wgpu` feature"));
    }
    if cfg!(not(feature = "vulkan")) {
        let output = run(&["bench", "--device", "vulkan", "--steps", "1"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(text(&output.stderr).contains("built without the `vulkan` feature"));
    }
    let output = run(&["train", "--device", "tpu"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("possible values: cpu, wgpu, vulkan"));
}

/// A length flag given to a task that makes its own lengths is noted (the page turns those
/// controls off), and the run goes on; the symbol tasks take the flags without a note.
#[test]
fn length_flags_a_task_does_not_read_are_noted() {
    let dir = folder("unused-flags");
    let checkpoint = dir.join("dates.s2s");
    let flags = ["--task", "dates", "--min-len", "5", "--steps", "1"];
    let output = run(&small_train(&flags, &checkpoint));
    succeeded(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("note: --min-len is not used by the dates task"),
        "{stderr}"
    );
    assert!(!stderr.contains("--max-len"), "{stderr}");
    let flags = ["--task", "addition", "--min-len", "1", "--steps", "1"];
    let output = run(&small_train(&flags, &checkpoint));
    succeeded(&output);
    assert!(!text(&output.stderr).contains("note:"));
}

fn train_to(steps: usize, checkpoint: &Path, resume: Option<&Path>) {
    let steps = steps.to_string();
    let mut flags = vec!["--steps", &steps, "--eval-every", "5"];
    let args = match resume {
        Some(from) => {
            let mut args = vec!["train"];
            args.extend(flags);
            args.extend(["--resume", from.to_str().unwrap()]);
            args.extend(["--checkpoint", checkpoint.to_str().unwrap()]);
            args
        }
        None => {
            flags.extend(["--teacher-forcing", "0.5"]);
            small_train(&flags, checkpoint)
        }
    };
    succeeded(&run(&args));
}

#[test]
fn resuming_from_a_checkpoint_writes_the_same_run_bit_for_bit() {
    let dir = folder("resume");
    let (straight, half, resumed) = (
        dir.join("straight.s2s"),
        dir.join("half.s2s"),
        dir.join("resumed.s2s"),
    );
    train_to(14, &straight, None);
    train_to(6, &half, None);
    train_to(14, &resumed, Some(&half));
    let (a, b) = (
        std::fs::read(&straight).unwrap(),
        std::fs::read(&resumed).unwrap(),
    );
    assert_ne!(std::fs::read(&half).unwrap(), a, "the halfway file differs");
    assert!(
        a == b,
        "14 steps straight and 6 + 8 resumed: the same file, byte for byte"
    );
}

#[test]
fn ctrl_c_writes_a_checkpoint_that_resumes() {
    use std::io::{BufRead, BufReader};
    let dir = folder("ctrl-c");
    let checkpoint = dir.join("interrupted.s2s");
    let args = small_train(
        &["--steps", "1000000", "--eval-every", "1000000"],
        &checkpoint,
    );
    let mut child = binary()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("training /") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no start line");
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("interrupted at step"), "{rest}");
    let step: usize = rest
        .split("interrupted at step ")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .and_then(|s| s.parse().ok())
        .expect("the step");
    assert!(step >= 1, "{rest}");
    let target = (step + 2).to_string();
    let output = run(&[
        "train",
        "--resume",
        checkpoint.to_str().unwrap(),
        "--steps",
        &target,
        "--checkpoint",
        dir.join("after.s2s").to_str().unwrap(),
    ]);
    succeeded(&output);
    assert!(
        text(&output.stdout).contains(&format!("resumed at step {step}")),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn translate_prints_the_beam_s_n_best_list_with_scores_and_checks_its_flags() {
    let dir = folder("beam");
    let path = dir.join("model.s2s");
    let output = run(&small_train(&["--steps", "30"], &path));
    succeeded(&output);
    assert!(
        text(&output.stdout).contains("BLEU"),
        "the final validation line has BLEU"
    );
    let checkpoint = path.to_str().unwrap();
    let output = run(&[
        "translate",
        "--checkpoint",
        checkpoint,
        "--beam",
        "5",
        "--nbest",
        "3",
        "abc",
    ]);
    succeeded(&output);
    let stdout = text(&output.stdout);
    let ranked: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with(['1', '2', '3']) && l.contains("log-prob"))
        .collect();
    assert_eq!(ranked.len(), 3, "{stdout}");
    let score = |line: &str| -> f64 {
        line.split("score ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(score(ranked[0]) >= score(ranked[1]) && score(ranked[1]) >= score(ranked[2]));
    assert!(
        stdout.contains("out\\in"),
        "the best one's attention: {stdout}"
    );
    let output = run(&[
        "translate",
        "--checkpoint",
        checkpoint,
        "--beam",
        "17",
        "abc",
    ]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("--beam 17: must be between 1 and 16"));
    let output = run(&[
        "translate",
        "--checkpoint",
        checkpoint,
        "--sample",
        "--seed",
        "3",
        "abc",
    ]);
    succeeded(&output);
    let again = run(&[
        "translate",
        "--checkpoint",
        checkpoint,
        "--sample",
        "--seed",
        "3",
        "abc",
    ]);
    assert_eq!(
        text(&output.stdout),
        text(&again.stdout),
        "the same seed draws the same"
    );
}

/// `bench` trains the sizes asked for (`--batch`, `--hidden`), crosschecks its device against
/// the CPU (`--crosscheck`), names no wgpu adapter on the CPU, refuses sizes out of range with the range, and `--rows-per-cube`
/// needs the GPU build.
#[test]
fn bench_takes_its_sizes_from_the_flags() {
    let output = run(&[
        "bench", "--batch", "4", "--hidden", "8", "--steps", "1", "--warmup", "1", "--json",
    ]);
    succeeded(&output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("batch 4, embedding 32, hidden 8,"),
        "the bench's model: {stdout}"
    );
    // on the CPU no wgpu adapter is named (on `wgpu` each of the machine's adapters is)
    assert!(stdout.contains(r#""adapters":[]"#), "{stdout}");
    assert!(stdout.contains(r#""rows_per_cube_used":null"#), "{stdout}");
    // the CPU crosschecked against itself: the same weights after each step
    let output = run(&[
        "bench",
        "--batch",
        "4",
        "--hidden",
        "8",
        "--steps",
        "1",
        "--crosscheck",
        "2",
    ]);
    succeeded(&output);
    let stdout = text(&output.stdout);
    for step in 1..=2 {
        assert!(
            stdout.contains(&format!("crosscheck step {step}: loss ")),
            "{stdout}"
        );
    }
    assert_eq!(
        stdout.matches("weights at most 0.000e0 apart").count(),
        2,
        "{stdout}"
    );
    let output = run(&["bench", "--hidden", "5000", "--steps", "1"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("hidden_size = 5000: must be between 2 and 512"));
    if cfg!(not(feature = "wgpu")) {
        let output = run(&["bench", "--rows-per-cube", "2", "--steps", "1"]);
        assert!(!output.status.success());
        assert!(
            text(&output.stderr).contains("--rows-per-cube needs a build with the `wgpu` feature")
        );
    }
}
