//! Limits on connections and request heads of the real server on loopback. The cases are
//! a client that sends its request head byte by byte (slowloris), a connection that sends
//! nothing, an idle keep-alive connection, an oversized header and a deeply nested JSON
//! body. The server must cut off the slow and idle connections within
//! `--header-read-timeout` and keep serving others.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::Api;
use support::server::{Backend, Server, init_tenant};

/// The header read timeout of the server under test, in seconds.
const HEADER_READ_TIMEOUT_SECS: u64 = 2;

/// How long a test waits for the server to close a connection before it fails: the
/// timeout plus room for a loaded machine.
const CLOSE_DEADLINE: Duration = Duration::from_secs(HEADER_READ_TIMEOUT_SECS + 4);

fn start_server(dir: &std::path::Path) -> Server {
    Server::start(
        dir,
        Backend::Sqlite,
        &[
            "--header-read-timeout",
            &HEADER_READ_TIMEOUT_SECS.to_string(),
        ],
    )
}

fn connect(server: &Server) -> TcpStream {
    let address = server.base.trim_start_matches("http://");
    let stream =
        TcpStream::connect(address).unwrap_or_else(|error| panic!("connect {address}: {error}"));
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap_or_else(|error| panic!("{error}"));
    stream
}

/// Returns true once the server has closed `stream`: a read returns end of file or a
/// reset. Bytes that arrive (such as an error response) are read and ignored.
fn is_closed(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 4096];
    match stream.read(&mut buffer) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(_) => true,
    }
}

/// Waits, reading, until the server closes `stream` or `CLOSE_DEADLINE` passes, and
/// returns the time it took.
fn wait_for_close(stream: &mut TcpStream, started: Instant) -> Option<Duration> {
    while started.elapsed() < CLOSE_DEADLINE {
        if is_closed(stream) {
            return Some(started.elapsed());
        }
    }
    None
}

/// Sends `GET /healthz` on a new connection and returns the status line.
fn healthz_status_line(server: &Server) -> String {
    let mut stream = connect(server);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap_or_else(|error| panic!("{error}"));
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn slow_and_idle_connections_closed() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    init_tenant(dir.path(), Backend::Sqlite, "acme");
    let server = start_server(dir.path());

    // Slowloris: a partial request line, then one header byte every 200 ms.
    let mut slow = connect(&server);
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let mut closed_after = None;
    for byte in b"X-Slow: ".iter().cycle() {
        if started.elapsed() >= CLOSE_DEADLINE {
            break;
        }
        if slow.write_all(&[*byte]).is_err() || is_closed(&mut slow) {
            closed_after = Some(started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let closed_after = closed_after.unwrap_or_else(|| {
        panic!("a slowloris connection was still open after {CLOSE_DEADLINE:?}")
    });
    println!("slowloris connection closed after {closed_after:?}");
    assert!(
        closed_after >= Duration::from_millis(HEADER_READ_TIMEOUT_SECS * 1000 - 500),
        "closed after {closed_after:?}, before the header read timeout"
    );

    // A connection that sends nothing.
    let mut silent = connect(&server);
    let started = Instant::now();
    let closed_after = wait_for_close(&mut silent, started)
        .unwrap_or_else(|| panic!("a silent connection was still open after {CLOSE_DEADLINE:?}"));
    println!("silent connection closed after {closed_after:?}");

    // A keep-alive connection that goes idle after one request.
    let mut idle = connect(&server);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let started = Instant::now();
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    while !response.windows(4).any(|window| window == b"\r\n\r\n")
        && started.elapsed() < CLOSE_DEADLINE
    {
        if let Ok(count) = idle.read(&mut buffer) {
            response.extend_from_slice(&buffer[..count]);
        }
    }
    assert!(
        response.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    let closed_after = wait_for_close(&mut idle, Instant::now()).unwrap_or_else(|| {
        panic!("an idle keep-alive connection was still open after {CLOSE_DEADLINE:?}")
    });
    println!("idle keep-alive connection closed after {closed_after:?}");

    assert_eq!(healthz_status_line(&server), "HTTP/1.1 200 OK");
    drop(server);
}

#[test]
fn oversized_header_rejected() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    init_tenant(dir.path(), Backend::Sqlite, "acme");
    let server = start_server(dir.path());

    let mut stream = connect(&server);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap_or_else(|error| panic!("{error}"));
    let header = format!("X-Large: {}\r\n", "a".repeat(100 * 1024));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: localhost\r\n{header}\r\n");
    // The server may close before it has read everything, so a failed write is fine.
    let _ = stream.write_all(request.as_bytes());
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let status_line = String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    println!("oversized header: `{status_line}`");
    assert!(
        status_line.is_empty() || status_line.starts_with("HTTP/1.1 431"),
        "unexpected response to a 100 KiB header: `{status_line}`"
    );

    let mut stream = connect(&server);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap_or_else(|error| panic!("{error}"));
    let headers: String = (0..150).map(|index| format!("X-H{index}: v\r\n")).collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n");
    let _ = stream.write_all(request.as_bytes());
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let status_line = String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    println!("150 headers: `{status_line}`");
    assert!(
        status_line.is_empty() || status_line.starts_with("HTTP/1.1 431"),
        "unexpected response to 150 headers: `{status_line}`"
    );

    assert_eq!(healthz_status_line(&server), "HTTP/1.1 200 OK");
    drop(server);
}

#[tokio::test]
async fn deeply_nested_json_is_400() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let admin = init_tenant(dir.path(), Backend::Sqlite, "acme");
    let server = start_server(dir.path());
    let api = Api::new(&server.base, "acme");
    let token = api.token(&admin.client_id, &admin.client_secret).await;

    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let reply = api
        .http
        .post(format!("{}/v1/policies", server.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap_or_else(|error| panic!("request failed: {error}"));
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = reply
        .json()
        .await
        .unwrap_or_else(|error| panic!("no JSON body: {error}"));
    assert_eq!(body["type"], "urn:iam:problem:validation", "{body}");

    let health = api
        .http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap_or_else(|error| panic!("request failed: {error}"));
    assert_eq!(health.status(), StatusCode::OK);
    drop(server);
}
