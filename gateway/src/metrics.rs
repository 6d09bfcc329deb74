//! `GET /v1/metrics`: the gateway's counters in the Prometheus text exposition format
//! (version 0.0.4). Written by hand from the counters the gateway already keeps for
//! `/v1/status` and `/v1/pava`, rather than a second set registered in a metrics library:
//! one source of truth, and the format is a few lines (`promtool check metrics` holds it in
//! tests/syslog.rs).

use std::fmt::Write;

use crate::messages::{PavaStatus, Status};

/// A label value, escaped as the format asks (backslash, double quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A family with one label, a sample per key.
fn labelled(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    key: &str,
    values: &std::collections::BTreeMap<String, u64>,
) {
    family(out, name, kind, help);
    for (value, count) in values {
        let _ = writeln!(out, "{name}{{{key}=\"{}\"}} {count}", label(value));
    }
}

/// The exposition of the gateway's status and, when PAVA runs, its counters.
pub fn render(status: &Status, pava: Option<&PavaStatus>) -> String {
    let mut out = String::new();
    family(&mut out, "ward_things", "gauge", "Onboarded things.");
    let _ = writeln!(out, "ward_things {}", status.things);
    family(
        &mut out,
        "ward_things_by_class",
        "gauge",
        "Onboarded things by class.",
    );
    for (class, count) in &status.things_by_class {
        let _ = writeln!(
            out,
            "ward_things_by_class{{class=\"{}\"}} {count}",
            label(class)
        );
    }
    family(
        &mut out,
        "ward_onboarding_refusals_suppressed_total",
        "counter",
        "Refused onboardings counted in a summary instead of one by one.",
    );
    let _ = writeln!(
        out,
        "ward_onboarding_refusals_suppressed_total {}",
        status.onboarding_refusals_suppressed
    );
    family(
        &mut out,
        "ward_firewall_generation",
        "gauge",
        "The firewall ruleset's generation.",
    );
    let _ = writeln!(
        out,
        "ward_firewall_generation {}",
        status.firewall.generation
    );
    let Some(pava) = pava else {
        return out;
    };
    let counters = &pava.counters;
    family(
        &mut out,
        "ward_pava_messages_received_total",
        "counter",
        "Syslog messages received.",
    );
    let _ = writeln!(
        out,
        "ward_pava_messages_received_total {}",
        counters.received
    );
    family(
        &mut out,
        "ward_pava_messages_by_transport_total",
        "counter",
        "Syslog messages the engine took, by transport.",
    );
    for (transport, count) in &counters.by_transport {
        let _ = writeln!(
            out,
            "ward_pava_messages_by_transport_total{{transport=\"{}\"}} {count}",
            label(transport)
        );
    }
    family(
        &mut out,
        "ward_pava_queued_bytes",
        "gauge",
        "Bytes of messages waiting for the engine.",
    );
    let _ = writeln!(out, "ward_pava_queued_bytes {}", pava.queued_bytes);
    family(
        &mut out,
        "ward_pava_messages_parsed_total",
        "counter",
        "Syslog messages parsed.",
    );
    let _ = writeln!(out, "ward_pava_messages_parsed_total {}", counters.parsed);
    family(
        &mut out,
        "ward_pava_dropped_total",
        "counter",
        "Messages and connections dropped, by reason.",
    );
    for (reason, count) in &counters.dropped {
        let _ = writeln!(
            out,
            "ward_pava_dropped_total{{reason=\"{}\"}} {count}",
            label(reason)
        );
    }
    family(
        &mut out,
        "ward_pava_incidents_total",
        "counter",
        "Incidents raised.",
    );
    let _ = writeln!(out, "ward_pava_incidents_total {}", counters.incidents);
    family(
        &mut out,
        "ward_pava_incident_updates_total",
        "counter",
        "Firings folded into the open incident of their storm.",
    );
    let _ = writeln!(
        out,
        "ward_pava_incident_updates_total {}",
        counters.incident_updates
    );
    family(
        &mut out,
        "ward_pava_incidents_lost_total",
        "counter",
        "Incidents the state database refused.",
    );
    let _ = writeln!(
        out,
        "ward_pava_incidents_lost_total {}",
        counters.incidents_lost
    );
    labelled(
        &mut out,
        "ward_pava_actions_total",
        "counter",
        "Actions of new incidents applied, by action.",
        "action",
        &counters.actions,
    );
    labelled(
        &mut out,
        "ward_pava_actions_withheld_total",
        "counter",
        "Actions withheld: the evidence was weaker than the thing's profile requires.",
        "action",
        &counters.actions_withheld,
    );
    labelled(
        &mut out,
        "ward_pava_connections",
        "gauge",
        "Syslog connections open, by listener.",
        "listener",
        &counters.connections,
    );
    labelled(
        &mut out,
        "ward_pava_connections_evicted_total",
        "counter",
        "Syslog connections closed to make room for another source's, by listener.",
        "listener",
        &counters.connections_evicted,
    );
    family(
        &mut out,
        "ward_pava_rule_firings_total",
        "counter",
        "Firings of each detection rule.",
    );
    for rule in &counters.rules {
        let _ = writeln!(
            out,
            "ward_pava_rule_firings_total{{rule=\"{}\"}} {}",
            label(&rule.rule),
            rule.fired
        );
    }
    family(
        &mut out,
        "ward_pava_rule_groups",
        "gauge",
        "Groups each detection rule tracks.",
    );
    for rule in &counters.rules {
        let _ = writeln!(
            out,
            "ward_pava_rule_groups{{rule=\"{}\"}} {}",
            label(&rule.rule),
            rule.groups
        );
    }
    family(
        &mut out,
        "ward_pava_reports_pending",
        "gauge",
        "Incident reports waiting in the outbox.",
    );
    let _ = writeln!(out, "ward_pava_reports_pending {}", pava.reports.pending);
    family(
        &mut out,
        "ward_pava_reports_delivered_total",
        "counter",
        "Incident reports delivered.",
    );
    let _ = writeln!(
        out,
        "ward_pava_reports_delivered_total {}",
        pava.reports.delivered
    );
    out
}
