//! A detection rule scoped to classes watches only their things: the gateway attributes a
//! message to its sender's class by address (or certificate), never by the host name the
//! message claims.

use std::time::{Duration, Instant};

#[path = "support/lab.rs"]
mod lab;

use ward_gateway::config::FileConfig;
use ward_gateway::messages::OnboardRequest;
use ward_gateway::runtime::Gateway;

const RULES: &str = r#"
detect lab_tamper "Tampering on a lab thing" {
  threat = T9
  severity = high
  classes = [lab_things]
  match syslog { msg = /enclosure opened/ }
  then { report user }
}

detect camera_tamper "Tampering on a camera" {
  threat = T9
  severity = high
  classes = [cameras]
  match syslog { msg = /enclosure opened/ }
  then { report user }
}
"#;

#[tokio::test]
async fn a_scoped_rule_watches_only_the_things_of_its_classes() {
    let dir = tempfile::tempdir().expect("temp dir");
    lab::signed_bundle(dir.path(), &[("rules.ward", RULES)]);
    let config = FileConfig {
        bundle: Some(dir.path().join("bundle.cbor")),
        key: Some(dir.path().join("k.pub")),
        state: Some(dir.path().join("state.sqlite")),
        syslog_udp: Some("127.0.0.1:0".into()),
        insecure_http: Some(true),
        ..FileConfig::default()
    }
    .resolve()
    .expect("config");
    let gateway = Gateway::start(config).await.expect("starts");
    let address = gateway.syslog.0.expect("UDP listener");
    let mud = lab::sensor_mud();
    gateway
        .onboard(
            OnboardRequest {
                id: "sensor-1".into(),
                address: "127.0.0.1".into(),
                mud_url: None,
                mud: Some(mud),
            },
            None,
            &operator(),
        )
        .await
        .expect("onboarded into lab_things");

    // The message claims to come from a camera; it comes from the lab thing's address.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .send_to(
            b"<38>1 2026-12-01T10:00:00Z front-camera tamper 1 - - enclosure opened",
            address,
        )
        .expect("sent");
    let started = Instant::now();
    loop {
        let incidents = gateway
            .incidents(String::new(), 10)
            .await
            .expect("incidents")
            .incidents;
        if !incidents.is_empty() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no incident");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a wrongly scoped rule the time to fire too, then look again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let incidents = gateway
        .incidents(String::new(), 10)
        .await
        .expect("incidents")
        .incidents;
    let rules: Vec<&str> = incidents.iter().map(|i| i.rule.as_str()).collect();
    assert_eq!(rules, ["lab_tamper"], "{incidents:?}");
}

/// The principal the tests act as.
fn operator() -> ward_gateway::access::Principal {
    ward_gateway::access::Principal::Token {
        id: "test".into(),
        role: ward_gateway::access::Role::Operator,
    }
}
