//! The connection loop of `iam-server`: HTTP/1.1 over TCP with hyper, with limits on
//! slow and idle clients that `axum::serve` (axum 0.8) does not set.
//!
//! Every connection must send a complete request head within the header read timeout.
//! The timer starts when the server waits for a request head: when the connection opens
//! and again after each response. So the same timeout closes a connection that sends
//! nothing, one that sends its head byte by byte (slowloris), and a keep-alive connection
//! that stays idle. The body is read inside the handler, so the request timeout of
//! [`crate::middleware`] bounds a slow body. A request head larger than
//! [`MAX_HEADER_BYTES`] or with more than [`MAX_HEADERS`] headers gets 431.
//!
//! Each request carries the peer's `ConnectInfo<SocketAddr>`, which the rate limits of
//! [`crate::rate_limit`] read.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{Service, ServiceExt};

/// The default time a client has to send a complete request head, in seconds. It is
/// also the idle timeout of keep-alive connections.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 20;

/// The largest request head (request line and headers) that the server reads, in bytes.
/// hyper responds to a larger head with 431 and closes the connection.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The maximum number of request headers. hyper responds to more with 431.
pub const MAX_HEADERS: usize = 100;

/// The limits of each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The time a client has to send a complete request head; also the keep-alive idle
    /// timeout.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets
/// open requests finish and closes idle connections.
///
/// # Errors
///
/// None so far: failed accepts are logged and retried, failed connections are logged at
/// debug level. The `Result` leaves room for errors of a future listener.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let (stop_sender, stop_receiver) = tokio::sync::watch::channel(false);
    let (done_sender, mut done_receiver) = tokio::sync::mpsc::channel::<Infallible>(1);
    let mut shutdown = pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(error) => {
                    handle_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };

        let service = match make_service.call(peer).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let service = service.map_request(|request: Request<Incoming>| request.map(Body::new));
        let hyper_service = TowerToHyperService::new(service);

        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_header_size(MAX_HEADER_BYTES)
            .max_headers(MAX_HEADERS);

        let mut stop = stop_receiver.clone();
        let done = done_sender.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection(TokioIo::new(stream), hyper_service);
            let mut connection = pin!(connection);
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%peer, %error, "connection closed with an error");
                        }
                        break;
                    }
                    _ = stop.wait_for(|stop| *stop), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(done);
        });
    }

    drop(listener);
    let _ = stop_sender.send(true);
    drop(done_sender);
    // Every connection task owns a clone of the sender, so `recv` returns once the last
    // task ends.
    let _ = done_receiver.recv().await;
    Ok(())
}

/// Logs a failed accept. An error of one connection is skipped at once. Other errors,
/// such as running out of file descriptors, pause accepting for a second, so the loop
/// does not spin.
async fn handle_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        tracing::debug!(%error, "a connection failed while being accepted");
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
