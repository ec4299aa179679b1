//! `generate --template FILE` with a template that would run for hours:
//! it stops at its fuel within seconds, exit 2, with an error naming the
//! template and the limit, and writes nothing, to stdout or to `--out`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::BIN;

/// Long enough for a debug build on a loaded machine; without the bound
/// the render takes hours.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `generate` with `args`; kills it past [`DEADLINE`].
/// Returns the exit code, stdout and stderr.
fn generate(args: &[&str]) -> (Option<i32>, String, String) {
    let inventory =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/providers/small.yaml");
    let mut child = Command::new(BIN)
        .arg("generate")
        .arg(inventory)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("generate {args:?} still ran after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stdout, stderr)
}

#[test]
fn a_template_without_end_fails_fast_naming_itself_and_its_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("loop.json.j2");
    // 10^10 iterations; nested so that no single range hits a limit.
    std::fs::write(
        &template,
        "{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let template = template.to_str().unwrap();
    for extra in [vec![], vec!["--out", out.to_str().unwrap()]] {
        let mut args = vec!["--template", template];
        args.extend(extra);
        let (code, stdout, stderr) = generate(&args);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        let error = stderr
            .lines()
            .find(|line| line.starts_with("senderzone: error: "))
            .unwrap_or_else(|| panic!("no error line in {stderr}"));
        assert!(
            error.contains(&format!("template `{template}` line 1, zone `"))
                && error.contains("stopped: it used up its fuel of ")
                && error.contains("does the template loop without end"),
            "{error}"
        );
        assert!(!out.exists(), "--out wrote something");
    }
}
