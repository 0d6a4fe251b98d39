//! Starts the real `iam-server` binary on a loopback port and talks to it over HTTP.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The storage backends the server runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Sled,
}

impl Backend {
    pub fn flag(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Sled => "sled",
        }
    }
}

/// Returns the path of the `iam-server` binary, building it once per test process so
/// that it is never stale.
pub fn server_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "-p", "iam-http", "--bin", "iam-server"])
                .status()
                .unwrap_or_else(|error| panic!("running cargo build failed: {error}"));
            assert!(status.success(), "building iam-server failed");
            let exe = std::env::current_exe().unwrap_or_else(|error| panic!("{error}"));
            // target/<profile>/deps/<test binary> -> target/<profile>/iam-server
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .unwrap_or_else(|| panic!("unexpected test binary path {}", exe.display()));
            profile_dir.join("iam-server")
        })
        .clone()
}

/// The credentials `iam-server init` prints.
#[derive(Debug, Clone)]
pub struct Admin {
    pub tenant_id: String,
    pub tenant_name: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Runs `iam-server init` for a tenant and returns its admin credentials.
pub fn init_tenant(data_dir: &Path, backend: Backend, tenant: &str) -> Admin {
    let output = Command::new(server_binary())
        .args(["init", "--data-dir"])
        .arg(data_dir)
        .args(["--store", backend.flag(), "--tenant", tenant])
        .output()
        .unwrap_or_else(|error| panic!("running iam-server init failed: {error}"));
    assert!(
        output.status.success(),
        "iam-server init failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "init printed no JSON object ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let field = |name: &str| {
        printed[name]
            .as_str()
            .unwrap_or_else(|| panic!("init output lacks `{name}`: {printed}"))
            .to_owned()
    };
    Admin {
        tenant_id: field("tenantId"),
        tenant_name: field("tenantName"),
        client_id: field("clientId"),
        client_secret: field("clientSecret"),
    }
}

/// A running server; killed when dropped. Its standard error is captured.
pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `iam-server serve` on a free loopback port and waits until `/readyz` answers.
    pub fn start(data_dir: &Path, backend: Backend, extra: &[&str]) -> Server {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(server_binary())
            .args(["serve", "--data-dir"])
            .arg(data_dir)
            .args([
                "--store",
                backend.flag(),
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                &base,
            ])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("starting iam-server failed: {error}"));
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut log = log
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let server = Server { child, base, log };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(mut stream) =
                std::net::TcpStream::connect(self.base.trim_start_matches("http://"))
            {
                use std::io::Write;
                let _ = stream.write_all(
                    b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                );
                let mut response = String::new();
                let _ = stream.read_to_string(&mut response);
                if response.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("iam-server did not become ready; log:\n{}", self.log());
    }

    /// Returns everything the server wrote to standard error so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return self.log();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("iam-server did not stop on SIGTERM; log:\n{}", self.log());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|error| panic!("{error}"));
    listener
        .local_addr()
        .unwrap_or_else(|error| panic!("{error}"))
        .port()
}
