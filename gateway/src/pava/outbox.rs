//! Delivering reports to the manufacturer and the platform: the outbox is read from the
//! database and the reports due to one receiver go in one POST, a JSON array of at most
//! `BATCH_REPORTS` reports and `BATCH_BYTES` bytes, so that a burst of incidents is a few
//! requests, not one each (a new report waits `LINGER` for the others of its burst). A batch
//! is marked delivered on a 2xx; otherwise each of its reports is retried with back-off (1 s
//! doubling to 10 min), across restarts: a report is never lost because its endpoint was
//! down. Receivers are served concurrently, so one that hangs (5 s time-out) does not hold
//! back another's reports.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::incidents::{Report, now_ms};
use crate::runtime::{State, lock};

/// How often the outbox is looked at when nothing wakes it.
const POLL: Duration = Duration::from_millis(500);
/// How long a new report waits for others of its burst before it is posted.
const LINGER: Duration = Duration::from_millis(200);
/// Reports read from the outbox per round.
const DUE_PER_ROUND: i64 = 1_000;
/// The most reports in one POST.
pub const BATCH_REPORTS: usize = 100;
/// The most bytes of reports in one POST (a report larger than this goes alone).
pub const BATCH_BYTES: usize = 1 << 20;

/// One POST: the receiver's URL, the reports' sequence numbers and the JSON array.
#[derive(Debug, PartialEq, Eq)]
pub struct Batch {
    pub url: String,
    pub seqs: Vec<i64>,
    pub body: String,
}

/// The due reports grouped by receiver URL, oldest first, cut at the bounds.
pub fn batches(due: Vec<Report>) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut open: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for report in due {
        let fits = open.get(&report.url).is_some_and(|&i| {
            let batch = &out[i];
            batch.seqs.len() < BATCH_REPORTS
                && batch.body.len() + 1 + report.body.len() < BATCH_BYTES
        });
        if fits {
            if let Some(&i) = open.get(&report.url) {
                let batch = &mut out[i];
                batch.body.pop();
                batch.body.push(',');
                batch.body.push_str(&report.body);
                batch.body.push(']');
                batch.seqs.push(report.seq);
            }
        } else {
            open.insert(report.url.clone(), out.len());
            out.push(Batch {
                url: report.url,
                seqs: vec![report.seq],
                body: format!("[{}]", report.body),
            });
        }
    }
    out
}

pub(crate) fn start(state: Arc<Mutex<State>>, client: reqwest::Client, wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            let due = {
                let state = lock(&state);
                state
                    .store
                    .reports_due(now_ms(), DUE_PER_ROUND)
                    .unwrap_or_default()
            };
            let mut by_receiver: std::collections::BTreeMap<String, Vec<Batch>> =
                std::collections::BTreeMap::new();
            for batch in batches(due) {
                by_receiver
                    .entry(batch.url.clone())
                    .or_default()
                    .push(batch);
            }
            let mut sending = tokio::task::JoinSet::new();
            for (_, batches) in by_receiver {
                let (state, client) = (state.clone(), client.clone());
                sending.spawn(async move {
                    for batch in batches {
                        // A receiver that failed is not tried again this round.
                        if !deliver(&state, &client, batch).await {
                            break;
                        }
                    }
                });
            }
            while sending.join_next().await.is_some() {}
            // Woken by a new incident: others of the same burst follow within moments, and
            // go in the same POST.
            if tokio::time::timeout(POLL, wake.notified()).await.is_ok() {
                tokio::time::sleep(LINGER).await;
            }
        }
    });
}

/// POSTs one batch and records the outcome; whether it was delivered.
async fn deliver(state: &Mutex<State>, client: &reqwest::Client, batch: Batch) -> bool {
    let sent = client
        .post(&batch.url)
        .header("content-type", "application/json")
        .body(batch.body)
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let mut state = lock(state);
    let (delivered, recorded) = match sent {
        Ok(response) if response.status().is_success() => {
            (true, state.store.reports_delivered(&batch.seqs))
        }
        Ok(response) => (
            false,
            state.store.reports_failed(
                &batch.seqs,
                &format!("{} answered {}", batch.url, response.status()),
                now_ms(),
            ),
        ),
        Err(error) => (
            false,
            state
                .store
                .reports_failed(&batch.seqs, &format!("{}: {error}", batch.url), now_ms()),
        ),
    };
    if let Err(error) = recorded {
        eprintln!(
            "ward gateway: the outcome of reports to {} is not recorded: {error}",
            batch.url
        );
    }
    delivered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(seq: i64, url: &str, body: &str) -> Report {
        Report {
            seq,
            url: url.into(),
            body: body.into(),
            attempts: 0,
        }
    }

    #[test]
    fn reports_to_one_receiver_share_a_post_within_the_bounds() {
        let mut due = vec![
            report(1, "https://a/x", r#"{"n":1}"#),
            report(2, "https://b/x", r#"{"n":2}"#),
            report(3, "https://a/x", r#"{"n":3}"#),
        ];
        let made = batches(due.clone());
        assert_eq!(made.len(), 2);
        assert_eq!(made[0].url, "https://a/x");
        assert_eq!(made[0].seqs, vec![1, 3]);
        assert_eq!(made[0].body, r#"[{"n":1},{"n":3}]"#);
        let parsed: serde_json::Value = serde_json::from_str(&made[1].body).expect("JSON");
        assert_eq!(parsed, serde_json::json!([{"n": 2}]));
        // 250 reports to one receiver: three posts, none over the count.
        due = (0..250).map(|n| report(n, "https://a/x", "{}")).collect();
        let made = batches(due);
        assert_eq!(
            made.iter().map(|b| b.seqs.len()).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        // Large reports: cut by bytes, and one larger than the bound goes alone.
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(BATCH_BYTES / 2));
        let huge = format!(r#"{{"x":"{}"}}"#, "a".repeat(BATCH_BYTES));
        let made = batches(vec![
            report(1, "u", &big),
            report(2, "u", &big),
            report(3, "u", &huge),
        ]);
        assert_eq!(made.len(), 3);
        assert!(made.iter().all(|b| b.seqs.len() == 1));
    }
}
