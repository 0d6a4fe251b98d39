//! The layers around every route: request ids, the access log, problem details for
//! errors that layers and the router produce, timeouts, the body limit and the panic
//! catcher.

use std::any::Any;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

use crate::error::{PROBLEM_JSON, Problem, ProblemExtension, ProblemKind, problem_response};
use crate::extract::MAX_BODY_BYTES;

/// The header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How long one request may take by default before it is cancelled with 408. The time
/// includes reading the body, so it also bounds a client that sends its body slowly.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Wraps `router` in every layer, with `request_timeout` for each request. The request id
/// is set first, so every later layer and every log line can name it.
pub fn apply_layers(router: Router, request_timeout: Duration) -> Router {
    router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(from_fn(observe))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Finishes problem details (adds `instance` and `requestId`), turns bare error
/// responses of layers and the router into problem details, logs the hidden cause of
/// internal errors, and writes one access log line per request. The line has the method,
/// the path, the status, the latency and the request id. It leaves out headers, bodies
/// and the query string, because any of them could contain a token.
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();

    let response = next.run(request).await;
    let response = finish_problem(response, &path, &request_id);

    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "iam_http::access",
        %method,
        path = %path,
        status,
        latency_ms = format_args!("{latency_ms:.1}"),
        request_id = %request_id,
        "request handled"
    );
    response
}

fn finish_problem(response: Response, path: &str, request_id: &str) -> Response {
    let status = response.status();
    let extension = response.extensions().get::<ProblemExtension>().cloned();
    let problem = match extension {
        Some(ProblemExtension { problem, cause }) => {
            if let Some(cause) = cause {
                tracing::error!(
                    request_id = %request_id,
                    path = %path,
                    error = %error_chain(cause.as_ref()),
                    "request failed with an internal error"
                );
            }
            problem
        }
        None if status.is_client_error() || status.is_server_error() => {
            if is_json(&response) {
                return response;
            }
            let kind = ProblemKind::from_status(status);
            Problem::new(kind, kind.generic_detail())
        }
        None => return response,
    };

    let problem = Problem {
        instance: Some(path.to_owned()),
        request_id: Some(request_id.to_owned()),
        ..problem
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}

fn is_json(response: &Response) -> bool {
    crate::extract::has_json_content_type(response.headers())
}

/// Returns the message of `error` followed by the messages of its sources, joined by
/// `: `.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

#[derive(Debug, thiserror::Error)]
#[error("handler panicked: {0}")]
struct Panicked(String);

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else {
        "no message".to_owned()
    };
    let kind = ProblemKind::Internal;
    problem_response(
        Problem::new(kind, kind.generic_detail()),
        Some(std::sync::Arc::new(Panicked(message))),
    )
    .into_response()
}
