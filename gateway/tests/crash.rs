//! PAVA's actions survive a stop between storing an incident and applying it: the incident
//! is stored pending with the actions it decided, applied at the next start, and applied
//! (and audited) exactly once.

use std::collections::BTreeMap;

#[path = "support/lab.rs"]
mod lab;

use ward_compiler::ir::ActionIr;
use ward_gateway::config::FileConfig;
use ward_gateway::messages::OnboardRequest;
use ward_gateway::pava::attribution::Evidence;
use ward_gateway::pava::engine::Incident;
use ward_gateway::pava::incidents::StoredIncident;
use ward_gateway::runtime::Gateway;
use ward_gateway::store::{Store, now};

fn operator() -> ward_gateway::access::Principal {
    ward_gateway::access::Principal::Token {
        id: "test".into(),
        role: ward_gateway::access::Role::Operator,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_quarantine_is_applied_at_the_next_start_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    lab::signed_bundle(dir.path(), &[]);
    let config = lab::config(dir.path(), FileConfig::default());
    let gateway = Gateway::start(config.clone()).await.expect("starts");
    gateway
        .onboard(
            OnboardRequest {
                id: "sensor-1".into(),
                address: "127.0.0.1".into(),
                mud_url: None,
                mud: Some(lab::sensor_mud()),
            },
            None,
            &operator(),
        )
        .await
        .expect("onboarded");
    drop(gateway);

    // What a kill -9 after storing an incident leaves: the incident, its quarantine decided
    // and not applied.
    {
        let mut store = Store::open(&config.state).expect("state");
        let incident = StoredIncident {
            id: "inc-000000000001-1".into(),
            at: now(),
            device: Some("sensor-1".into()),
            source: "127.0.0.1".into(),
            evidence: Some(Evidence::Certificate),
            withheld: Vec::new(),
            bundle_revision: "r".into(),
            incident: Incident {
                rule: "firmware_signature_failure".into(),
                title: "Firmware signature failure".into(),
                threat: "T8".into(),
                severity: "high".into(),
                group: String::new(),
                count: 1,
                first_ms: 0,
                last_ms: 0,
                captures: BTreeMap::new(),
                messages: Vec::new(),
                actions: vec![ActionIr {
                    action: "quarantine".into(),
                    args: Vec::new(),
                }],
                origin: String::new(),
            },
        };
        store.add_incident(&incident, &[]).expect("stored");
        assert_eq!(store.pending_incidents().expect("pending").len(), 1);
    }

    let count = |entries: &[ward_gateway::store::AuditEntry], event: &str| {
        entries.iter().filter(|e| e.event == event).count()
    };
    for start in 0..2 {
        let gateway = Gateway::start(config.clone()).await.expect("restarts");
        let device = gateway.device("sensor-1".into()).await.expect("device");
        assert!(device.device.quarantined, "start {start}: {device:?}");
        assert_eq!(device.device.class, "unknown_things");
        let audit = gateway.audit(0, 1000).await.expect("audit").entries;
        assert_eq!(count(&audit, "quarantined"), 1, "start {start}");
        assert_eq!(count(&audit, "incident-replayed"), 1, "start {start}");
        let holds = gateway.holds().await.expect("holds").holds;
        assert_eq!(holds.len(), 2, "id and address held");
        drop(gateway);
    }
    let store = Store::open(&config.state).expect("state");
    assert!(store.pending_incidents().expect("pending").is_empty());
}
