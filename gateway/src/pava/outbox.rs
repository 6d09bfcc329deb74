//! Delivering reports to the manufacturer and the platform: the outbox is read from the
//! database, each report POSTed as JSON, marked delivered on a 2xx, and otherwise retried
//! with back-off (1 s doubling to 10 min), across restarts: a report is never lost because
//! its endpoint was down.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::incidents::now_ms;
use crate::runtime::{State, lock};

/// How often the outbox is looked at when nothing wakes it.
const POLL: Duration = Duration::from_millis(500);

pub(crate) fn start(state: Arc<Mutex<State>>, client: reqwest::Client, wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            let due = {
                let state = lock(&state);
                state.store.reports_due(now_ms(), 50).unwrap_or_default()
            };
            for report in due {
                let sent = client
                    .post(&report.url)
                    .header("content-type", "application/json")
                    .body(report.body.clone())
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                let state = lock(&state);
                let _ = match sent {
                    Ok(response) if response.status().is_success() => {
                        state.store.report_delivered(report.seq)
                    }
                    Ok(response) => state.store.report_failed(
                        report.seq,
                        &format!("{} answered {}", report.url, response.status()),
                        now_ms(),
                    ),
                    Err(error) => state.store.report_failed(
                        report.seq,
                        &format!("{}: {error}", report.url),
                        now_ms(),
                    ),
                };
            }
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
        }
    });
}
