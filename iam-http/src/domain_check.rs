//! The periodic check of pending domains: every interval, the TXT records of every
//! pending domain of every tenant are looked up, and domains whose token is found become
//! confirmed.

use std::sync::Arc;
use std::time::Duration;

use iam_core::Iam;
use iam_core::domain::TxtResolver;
use tokio::sync::watch;

use crate::middleware::error_chain;

/// Checks the pending domains every `interval`, the first time one interval after the
/// start, until `stop` turns true or its sender is dropped. A check in progress at that
/// moment is cancelled; each confirmation is one atomic store write, so a cancelled
/// check leaves every domain either pending or confirmed.
pub async fn recheck_periodically(
    iam: Iam,
    resolver: Arc<dyn TxtResolver>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    // After a slow check, wait a whole interval instead of starting checks back to back.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => break,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => break,
            () = recheck_once(&iam, resolver.as_ref()) => {}
        }
    }
    tracing::debug!("stopped the periodic domain check");
}

/// Checks every pending domain once and logs the outcome: the number confirmed, and each
/// failed lookup with its domain.
pub async fn recheck_once(iam: &Iam, resolver: &dyn TxtResolver) {
    match iam.recheck_pending_domains(resolver).await {
        Ok((confirmed, failures)) => {
            for (domain, error) in &failures {
                tracing::warn!(
                    domain = %domain,
                    error = %error_chain(error),
                    "checking a pending domain failed; it stays pending"
                );
            }
            if confirmed > 0 || !failures.is_empty() {
                tracing::info!(
                    confirmed,
                    failed = failures.len(),
                    "checked the pending domains"
                );
            } else {
                tracing::debug!("checked the pending domains; none was confirmed");
            }
        }
        Err(error) => tracing::error!(
            error = %error_chain(&error),
            "checking the pending domains failed"
        ),
    }
}
