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

/// A `budgetctl local serve` process on a free port, killed when dropped.
/// The binary, run in `dir` as a user would against a local endpoint: no
/// colour, no stdin, static local credentials, none of the environment's
/// AWS endpoint or profile.
pub fn budgetctl_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_budgetctl"));
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    c
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
