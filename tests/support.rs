//! Shared by the end-to-end tests (included with `mod support;`; each test
//! binary uses part of it): where the repository and the built
//! `budgetctl` binary are.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Run the `budgetctl` binary (built by cargo for this test run) in the repository root.
pub fn budgetctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("budgetctl runs")
}

/// Run budgetctl in `dir` against the endpoint at `url` as a CI job does:
/// off a terminal, with static credentials and no profile or endpoint from
/// the environment. Runs on a blocking thread so an in-process
/// budgetctl-local keeps serving meanwhile.
pub async fn budgetctl_against(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_budgetctl"));
    command
        .args(args)
        .args(["--endpoint-url", url])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env("AWS_ACCESS_KEY_ID", "AKIDRUNNER")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || command.output().expect("budgetctl runs"))
        .await
        .unwrap()
}

/// Apply `budgets.yaml` in `dir` against `url`, then remove the file: an
/// account's budgets made for import to read back.
pub async fn applied_then_removed(dir: &Path, url: &str) {
    let apply = budgetctl_against(dir, url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    std::fs::remove_file(dir.join("budgets.yaml")).unwrap();
}

/// Assert that the files at `files` (in `dir`) plan with no changes.
pub async fn assert_plans_clean(dir: &Path, url: &str, files: &str) {
    let plan = budgetctl_against(dir, url, &["plan", "-f", files, "--detailed-exitcode"]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

/// stdout then stderr, for assertion messages and searches.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `count` runs of `command` started together (their output piped), once
/// every one has ended.
pub fn at_once(count: usize, command: impl Fn() -> Command) -> Vec<Output> {
    let runs: Vec<Child> = (0..count)
        .map(|_| {
            command()
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("budgetctl runs")
        })
        .collect();
    runs.into_iter()
        .map(|c| c.wait_with_output().expect("budgetctl ends"))
        .collect()
}

/// A `budgetctl local serve` process on a free port, killed when dropped.
/// The binary, run in `dir` as a user would against a local endpoint: no
/// colour, no stdin, static local credentials, none of the environment's
/// AWS endpoint or profile.
pub fn budgetctl_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_budgetctl"));
    as_a_user(&mut c, dir);
    c
}

/// Run `command` in `dir` as a user would against a local endpoint (what
/// [`budgetctl_in`] sets up; the docs' shell blocks run this way too).
pub fn as_a_user(command: &mut Command, dir: &Path) {
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env_remove("GITHUB_SHA")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
}

pub struct Served {
    child: Child,
    pub url: String,
}

impl Served {
    pub fn start(state: &Path) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
            .args(["local", "serve", "--port", "0", "--state"])
            .arg(state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("budgetctl local serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("budgetctl-local listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Served { child, url }
    }

    /// SIGKILL: no chance to save or clean up, as in a crash.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stop as Ctrl-C or a service manager would, and wait for the exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }

    /// One request to a `/_local/` control; the response body.
    pub fn control(&self, method: &str, path: &str, body: &str) -> String {
        self.request(method, path, "Content-Type: application/json\r\n", body)
    }

    /// One Service Catalog call (JSON 1.1) as the default account's caller
    /// in `region`, the way the SDK sends it; the response body.
    pub fn service_catalog(&self, region: &str, operation: &str, body: &str) -> String {
        let headers = format!(
            "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWS242ServiceCatalogService.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=local/20261201/{region}/servicecatalog/aws4_request, SignedHeaders=host, Signature=0\r\n"
        );
        self.request("POST", "/", &headers, body)
    }

    fn request(&self, method: &str, path: &str, headers: &str, body: &str) -> String {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default()
    }

    /// Waits until no Budgets request is being served and none has arrived
    /// for a moment: the ones a killed client sent may still be sleeping in
    /// injected latency (or unread in the socket), then write.
    pub fn quiesce(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last_total = None;
        loop {
            let body = self.control("GET", "/_local/requests", "");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let in_flight = v["in_flight"]
                .as_u64()
                .unwrap_or_else(|| panic!("/_local/requests says nothing of in_flight: {body}"));
            let total = v["total"].as_u64();
            if in_flight == 0 && last_total.is_some() && last_total == total {
                return;
            }
            last_total = if in_flight == 0 { total } else { None };
            assert!(
                Instant::now() < deadline,
                "requests still in flight: {body}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn applied(&self, operation: &str) -> u64 {
        let body = self.control("GET", "/_local/requests", "");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["applied"][operation].as_u64().unwrap_or(0)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// budgetctl run on a terminal, as a person at a prompt: `script` (util-linux)
/// gives it a pseudo-terminal, fed from this side's writes. `None` where
/// `script` is missing (the caller skips, saying so).
pub struct OnTerminal {
    child: Child,
    stdin: std::process::ChildStdin,
    seen: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl OnTerminal {
    pub fn start(dir: &Path, args: &[&str]) -> Option<OnTerminal> {
        let present = Command::new("script").arg("--version").output().is_ok();
        if !needs(
            present,
            "`script` (util-linux), which gives a command a terminal",
        ) {
            return None;
        }
        let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_budgetctl"))
            .chain(args.iter().copied())
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect();
        let command = budgetctl_in(dir);
        let mut child = Command::new("script")
            .args(["-q", "-f", "-e", "-c", &quoted.join(" "), "/dev/null"])
            .current_dir(dir)
            .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script runs");
        let stdin = child.stdin.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut stdout = child.stdout.take().unwrap();
        let sink = seen.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Some(OnTerminal {
            child,
            stdin,
            seen,
            reader: Some(reader),
        })
    }

    /// Wait (a minute at most) until the terminal shows `text`.
    pub fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.seen.lock().unwrap().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {text:?}: {}",
                self.seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Type a line.
    pub fn answer(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Wait for the exit: its code and everything the terminal showed.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let seen = self.seen.lock().unwrap().clone();
        (status.code(), seen)
    }
}

impl Drop for OnTerminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `tool` is on the PATH here.
pub fn installed(tool: &str) -> bool {
    // Found on PATH and runnable: how it answers `--version` (unzip exits
    // 10 to it) says nothing about whether it is there.
    Command::new(tool)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// Whether an outside tool a test needs (`what`) is here. When it is not,
/// the test skips and says so on the terminal itself: libtest hides what a
/// passing test prints through `eprintln!`, and a skip must not read as a
/// pass. Under `BUDGETCTL_REQUIRE_TOOLS=1`, which `.ci/run` sets, the test
/// fails instead.
pub fn needs(present: bool, what: &str) -> bool {
    let required = std::env::var("BUDGETCTL_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    // Straight to the process's stderr, past libtest's capture.
    needs_where(present, what, required, &mut std::io::stderr().lock())
}

fn needs_where(present: bool, what: &str, required: bool, out: &mut dyn Write) -> bool {
    if present {
        return true;
    }
    assert!(
        !required,
        "{what} is missing, and BUDGETCTL_REQUIRE_TOOLS=1 requires it: install it (.ci/run installs what it can)"
    );
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(
        out,
        "\nSKIPPED {test}: {what} is missing (BUDGETCTL_REQUIRE_TOOLS=1 makes this a failure)"
    );
    false
}

#[test]
fn a_missing_tool_skips_locally_and_fails_where_required() {
    let mut shown = Vec::new();
    assert!(needs_where(true, "a tool that is here", true, &mut shown));
    assert!(shown.is_empty());
    assert!(!needs_where(false, "a tool that is not", false, &mut shown));
    let shown = String::from_utf8(shown).unwrap();
    assert!(
        shown.contains("SKIPPED") && shown.contains("a tool that is not is missing"),
        "{shown}"
    );
    let required = std::panic::catch_unwind(|| {
        needs_where(false, "a tool that is not", true, &mut Vec::new())
    });
    assert!(
        required.is_err(),
        "a required tool that is missing fails the test"
    );
}
