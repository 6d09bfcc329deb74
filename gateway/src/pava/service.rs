//! PAVA on the gateway: messages from the listeners go to one engine thread (the engine's
//! windows are per rule and group, so one owner keeps them consistent without locks); each
//! incident is stored with its reports, written to the JSON-lines file and the log, and its
//! actions applied to the thing (quarantine, raised profile, revoked credentials), each in
//! the audit log. A TCP or TLS sender's message is acknowledged (its next frame read) only
//! after that.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::actions;
use super::attribution::{self, Attribution, Evidence};
use super::engine::{Engine, Incident, RuleStats, Sender};
use super::incidents::{Recipient, StoredIncident, incident_id, now_ms};
use super::syslog::{Malformed, parse};
use crate::bundle::PolicyBundle;
use crate::error::StartError;
use crate::firewall::Firewall;
use crate::runtime::{State, lock};
use crate::store::now;
use ward_compiler::ir::ActionIr;

/// Sources whose drops are counted one by one; beyond, they are counted together.
const MAX_SOURCES: usize = 4096;

/// A message from a listener.
pub struct Received {
    pub source: IpAddr,
    /// `udp`, `tcp` or `tls`.
    pub transport: &'static str,
    /// The identity of a TLS client certificate, when there is one.
    pub identity: Option<String>,
    pub bytes: Vec<u8>,
    /// Answered once the message (and any incident it caused) is handled.
    pub done: Option<oneshot::Sender<()>>,
}

/// Counters of what the listeners received, for `GET /v1/pava`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    pub received: u64,
    pub parsed: u64,
    /// Dropped messages by reason (`bad-pri`, `too-large`, `overload`...).
    pub dropped: BTreeMap<String, u64>,
    /// Dropped messages by source and reason (at most 4,096 sources; then `other`).
    pub dropped_by_source: BTreeMap<String, BTreeMap<String, u64>>,
    /// Messages the engine took, by transport (`udp`, `tcp`, `tls`).
    pub by_transport: BTreeMap<String, u64>,
    /// New incidents.
    pub incidents: u64,
    /// Firings of a storm folded into the incident it opened (storms.rs).
    pub incident_updates: u64,
    /// Incidents the database refused (logged).
    pub incidents_lost: u64,
    /// Actions applied to things, by action (`quarantine`, `raise_profile`, ...; `report`
    /// counts reports queued).
    pub actions: BTreeMap<String, u64>,
    /// Actions withheld because the evidence was weaker than the thing's profile requires.
    pub actions_withheld: BTreeMap<String, u64>,
    /// Connections open now, by listener (`tcp`, `tls`).
    pub connections: BTreeMap<String, u64>,
    /// Connections closed to make room for another source's, by listener.
    pub connections_evicted: BTreeMap<String, u64>,
    pub rules: Vec<RuleStats>,
}

impl Counters {
    fn count(&mut self, handled: Handled) {
        match handled {
            Handled::Opened { applied, withheld } => {
                self.incidents += 1;
                for action in applied {
                    *self.actions.entry(action).or_default() += 1;
                }
                for action in withheld {
                    *self.actions_withheld.entry(action).or_default() += 1;
                }
            }
            Handled::Updated => self.incident_updates += 1,
            Handled::Lost => self.incidents_lost += 1,
        }
    }

    pub fn count_drop(&mut self, source: IpAddr, reason: &str) {
        *self.dropped.entry(reason.to_string()).or_default() += 1;
        let key = source.to_string();
        let key = if self.dropped_by_source.contains_key(&key)
            || self.dropped_by_source.len() < MAX_SOURCES
        {
            key
        } else {
            "other".to_string()
        };
        *self
            .dropped_by_source
            .entry(key)
            .or_default()
            .entry(reason.to_string())
            .or_default() += 1;
    }
}

/// The most message bytes waiting for the engine: beyond, UDP datagrams are dropped as
/// `overload` (TCP senders wait), so a flood costs bounded memory.
pub const MAX_QUEUED_BYTES: usize = 64 << 20;

/// What the engine thread shares with the gateway.
pub struct Pava {
    pub counters: Mutex<Counters>,
    pub sender: mpsc::Sender<Received>,
    /// Bytes of the messages waiting for the engine.
    pub queued: std::sync::atomic::AtomicUsize,
    /// The UDP socket's receive buffer as the kernel granted it (0 without UDP).
    pub udp_buffer: std::sync::atomic::AtomicUsize,
    /// Each source's share of the engine (quota.rs).
    pub quotas: Mutex<super::quota::Quotas>,
}

/// What the engine thread needs.
pub(crate) struct EngineContext {
    pub bundle: Arc<RwLock<Arc<PolicyBundle>>>,
    pub state: Arc<Mutex<State>>,
    pub firewall: Firewall,
    pub incidents_file: PathBuf,
    pub max_groups: usize,
    pub runtime: tokio::runtime::Handle,
    /// Woken when an incident leaves reports in the outbox.
    pub outbox: Arc<tokio::sync::Notify>,
}

fn current(bundle: &RwLock<Arc<PolicyBundle>>) -> Arc<PolicyBundle> {
    bundle
        .read()
        .map(|b| b.clone())
        .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
}

/// Starts the engine thread; messages go to the returned `Pava`'s sender.
pub(crate) fn start(context: EngineContext, queue: usize) -> Result<Arc<Pava>, StartError> {
    let (sender, mut receiver) = mpsc::channel::<Received>(queue.max(1));
    let pava = Arc::new(Pava {
        counters: Mutex::new(Counters::default()),
        sender,
        queued: std::sync::atomic::AtomicUsize::new(0),
        udp_buffer: std::sync::atomic::AtomicUsize::new(0),
        quotas: Mutex::new(super::quota::Quotas::default()),
    });
    let policy = current(&context.bundle);
    let mut engine =
        Engine::new(&policy.ir.detections, context.max_groups).map_err(StartError::Rules)?;
    let mut revision = policy.manifest.revision.clone();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&context.incidents_file)
        .map_err(|error| StartError::File {
            path: context.incidents_file.clone(),
            error,
        })?;
    let shared = pava.clone();
    std::thread::Builder::new()
        .name("ward-pava".to_string())
        .spawn(move || {
            let year = now().get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
            let mut fired = Vec::new();
            let mut open = super::storms::Open::default();
            let mut last_stats = std::time::Instant::now();
            while let Some(received) = receiver.blocking_recv() {
                shared
                    .queued
                    .fetch_sub(received.bytes.len(), std::sync::atomic::Ordering::Relaxed);
                // A new bundle brings new rules: the engine starts over with them.
                let policy = current(&context.bundle);
                if policy.manifest.revision != revision {
                    match Engine::new(&policy.ir.detections, context.max_groups) {
                        Ok(new) => engine = new,
                        Err(error) => eprintln!("ward gateway: PAVA keeps its rules: {error}"),
                    }
                    revision = policy.manifest.revision.clone();
                }
                let parsed = parse(&received.bytes, year);
                {
                    let mut counters = lock_counters(&shared);
                    counters.received += 1;
                    *counters
                        .by_transport
                        .entry(received.transport.to_string())
                        .or_default() += 1;
                    match &parsed {
                        Ok(_) => counters.parsed += 1,
                        Err(reason) => counters.count_drop(received.source, reason.as_str()),
                    }
                }
                if let Ok(message) = parsed {
                    let raw = std::str::from_utf8(&received.bytes).unwrap_or_default();
                    // Rules scoped to classes need the sender's class for every message: a
                    // lock and a lookup per message, paid only when such rules exist.
                    let class = if engine.has_scoped_rules() {
                        class_of_sender(&context, &received)
                    } else {
                        None
                    };
                    engine.feed(
                        &message,
                        raw,
                        now_ms(),
                        Sender::Thing(class.as_deref()),
                        &mut fired,
                    );
                    // Whose message it was matters only for an incident: no lock and no
                    // lookup per message.
                    let device = if fired.is_empty() {
                        None
                    } else {
                        device_of(&context, &received, message.hostname)
                    };
                    for incident in fired.drain(..) {
                        let handled = handle(
                            &context,
                            &policy,
                            &mut file,
                            &mut open,
                            incident,
                            device.clone(),
                            &received,
                        );
                        lock_counters(&shared).count(handled);
                    }
                }
                if last_stats.elapsed() > std::time::Duration::from_millis(500) {
                    lock_counters(&shared).rules = engine.stats();
                    last_stats = std::time::Instant::now();
                }
                if let Some(done) = received.done {
                    let _ = done.send(());
                }
            }
        })
        .map_err(|e| StartError::Runtime(format!("PAVA thread: {e}")))?;
    Ok(pava)
}

fn lock_counters(pava: &Pava) -> std::sync::MutexGuard<'_, Counters> {
    pava.counters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The onboarded thing a message is from, and how that is known: by its TLS certificate,
/// its address, or the host name it gives (in that order of trust).
fn device_of(
    context: &EngineContext,
    received: &Received,
    hostname: Option<&str>,
) -> Option<Attribution> {
    let state = lock(&context.state);
    let found = |device: &str, evidence| {
        Some(Attribution {
            device: device.to_string(),
            evidence,
        })
    };
    if let Some(identity) = &received.identity
        && state.things.find(identity).is_some()
    {
        return found(identity, Evidence::Certificate);
    }
    if let Some((id, _)) = state.things.at_address(&received.source.to_string()) {
        return found(id, Evidence::Address);
    }
    let claimed = hostname.filter(|h| state.things.find(h).is_some())?;
    found(claimed, Evidence::HostName)
}

/// The class of the onboarded thing a message is from, by its TLS certificate or its address:
/// never by the host name it claims, which the sender writes itself.
fn class_of_sender(context: &EngineContext, received: &Received) -> Option<String> {
    let state = lock(&context.state);
    if let Some(identity) = &received.identity
        && let Some((class, _)) = state.things.find(identity)
    {
        return Some(class.to_string());
    }
    state
        .things
        .at_address(&received.source.to_string())
        .map(|(_, class)| class.clone())
}

/// Where an incident's reports go: the services that receive them for its `report` targets.
fn recipients(policy: &PolicyBundle, incident: &Incident) -> Vec<Recipient> {
    let mut out = Vec::new();
    for action in incident.actions.iter().filter(|a| a.action == "report") {
        for receiver in action.args.iter().filter(|a| *a != "user") {
            for endpoint in &policy.ir.endpoints {
                if let Some(url) = &endpoint.report_url
                    && endpoint.receives.contains(receiver)
                {
                    out.push(Recipient {
                        receiver: receiver.clone(),
                        service: endpoint.name.clone(),
                        url: url.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Incidents kept: at most this many, and none older than `RETENTION_DAYS` (an incident
/// still owed a report or an action stays).
pub const MAX_INCIDENTS: i64 = 100_000;
pub const RETENTION_DAYS: u64 = 90;
/// New incidents between two prunings.
const PRUNE_EVERY: u64 = 100;

fn prune(context: &EngineContext) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let cutoff = crate::store::rfc3339(now.saturating_sub(RETENTION_DAYS * 86_400), 0);
    if let Err(error) = lock(&context.state)
        .store
        .prune_incidents(MAX_INCIDENTS, &cutoff)
    {
        eprintln!("ward gateway: incidents not pruned: {error}");
    }
}

/// What became of one firing.
enum Handled {
    /// A new incident, with the actions applied and those withheld for weak evidence.
    Opened {
        applied: Vec<String>,
        withheld: Vec<String>,
    },
    /// A firing of a storm, counted in the incident it opened.
    Updated,
    /// Not stored (the database refused it): logged.
    Lost,
}

fn handle(
    context: &EngineContext,
    policy: &PolicyBundle,
    file: &mut std::fs::File,
    open: &mut super::storms::Open,
    mut incident: Incident,
    attribution: Option<Attribution>,
    received: &Received,
) -> Handled {
    // A storm of one rule for one group of one sender updates the incident it opened.
    let sender = attribution
        .as_ref()
        .map_or_else(|| received.source.to_string(), |a| a.device.clone());
    let fired_ms = now_ms();
    let key = open.key_for(
        (incident.rule.clone(), incident.group.clone(), sender),
        fired_ms,
    );
    if key.1 == super::storms::MANY_GROUPS && key.1 != incident.group {
        // The sender's further groups: one incident says so, its first group kept.
        incident.group = format!("{} (first: {})", super::storms::MANY_GROUPS, incident.group);
    }
    if let Some(id) = open.update_of(&key, fired_ms) {
        let updated = lock(&context.state).store.update_incident(
            &id,
            incident.count,
            incident.last_ms,
            &incident.messages,
        );
        if let Err(error) = updated {
            eprintln!("ward gateway: incident {id} not updated: {error}");
        }
        return Handled::Updated;
    }
    // The actions the evidence does not support are withheld, and said so in the incident.
    let class = attribution.as_ref().and_then(|a| {
        let state = lock(&context.state);
        state
            .things
            .find(&a.device)
            .map(|(class, _)| class.to_string())
    });
    let class = class.as_deref().and_then(|c| policy.ir.class(c));
    let rule = policy
        .ir
        .detections
        .iter()
        .find(|d| d.name == incident.rule)
        .and_then(|d| d.evidence.as_deref());
    let withheld: Vec<String> = match &attribution {
        Some(a) => incident
            .actions
            .iter()
            .filter(|action| !attribution::suffices(&action.action, a.evidence, rule, class))
            .map(|action| action.action.clone())
            .collect(),
        None => Vec::new(),
    };
    let device = attribution.as_ref().map(|a| a.device.clone());
    let stored = StoredIncident {
        id: incident_id(fired_ms),
        at: now(),
        device: device.clone(),
        source: received.source.to_string(),
        evidence: attribution.as_ref().map(|a| a.evidence),
        withheld: withheld.clone(),
        bundle_revision: policy.manifest.revision.clone(),
        incident,
    };
    let to = recipients(policy, &stored.incident);
    // The database first: what follows may be lost in a crash, the incident may not.
    match lock(&context.state).store.add_incident(&stored, &to) {
        Ok(0) => {}
        Ok(refused) => {
            // The services' outboxes are full: said once for this incident.
            let state = lock(&context.state);
            let _ = state.store.audit(
                "reports-refused",
                stored.device.as_deref(),
                &json!({ "incident": stored.id, "reports": refused, "reason": "the service has 10,000 reports waiting" }),
            );
        }
        Err(error) => {
            eprintln!("ward gateway: incident {} not stored: {error}", stored.id);
            return Handled::Lost;
        }
    }
    open.opened(key, stored.id.clone(), fired_ms);
    if open.opened_count() % PRUNE_EVERY == 0 {
        prune(context);
    }
    if !to.is_empty() {
        context.outbox.notify_one();
    }
    if let Ok(line) = serde_json::to_string(&stored) {
        let _ = writeln!(file, "{line}").and_then(|()| file.flush());
    }
    eprintln!(
        "ward gateway: incident {} {} ({}, {}) {} from {}{}",
        stored.id,
        stored.incident.rule,
        stored.incident.threat,
        stored.incident.severity,
        stored.incident.group,
        stored.source,
        device
            .as_deref()
            .map(|d| format!(" (thing `{d}`)"))
            .unwrap_or_default()
    );
    let Some(device) = device else {
        return Handled::Opened {
            applied: Vec::new(),
            withheld,
        };
    };
    // Applied from what is stored, in one transaction with the mark that it was (a crash in
    // between is replayed at start): pava/actions.rs.
    let decided: Vec<ActionIr> = stored
        .incident
        .actions
        .iter()
        .filter(|a| !withheld.contains(&a.action))
        .cloned()
        .collect();
    let applied = {
        let mut state = lock(&context.state);
        let effects = actions::plan(&state.store, policy, &stored.id, &device, &decided);
        let applied = state.store.apply_incident(&stored.id, &device, &effects);
        if let Ok(Some(applied)) = &applied {
            if let Some(class) = &applied.moved_to {
                state.things.move_to(&device, class);
            }
            if let Some(profile) = &applied.raised {
                state.things.raise(&device, profile);
            }
        }
        applied
    };
    let names = || decided.iter().map(|a| a.action.clone()).collect();
    match applied {
        Ok(Some(applied)) if applied.moved_to.is_some() || applied.raised.is_some() => {
            let firewall = context.firewall.clone();
            context.runtime.spawn(async move {
                let _ = firewall.update().await;
            });
            Handled::Opened {
                applied: names(),
                withheld,
            }
        }
        Ok(_) => Handled::Opened {
            applied: names(),
            withheld,
        },
        Err(error) => {
            eprintln!(
                "ward gateway: the actions of incident {} are not applied yet: {error}",
                stored.id
            );
            Handled::Opened {
                applied: Vec::new(),
                withheld,
            }
        }
    }
}

/// Counts a message a listener could not pass on.
pub fn dropped(pava: &Pava, source: IpAddr, reason: Malformed) {
    let mut counters = lock_counters(pava);
    counters.received += 1;
    counters.count_drop(source, reason.as_str());
}

/// Counts a connection refused before any message (TLS handshake, admission).
pub fn count_refusal(pava: &Pava, source: IpAddr, reason: &str) {
    lock_counters(pava).count_drop(source, reason);
}

/// Counts a connection of `source` closed for another source's (`listener`: tcp, tls).
pub fn count_eviction(pava: &Pava, source: IpAddr, listener: &str) {
    let mut counters = lock_counters(pava);
    counters.count_drop(source, "evicted");
    *counters
        .connections_evicted
        .entry(listener.to_string())
        .or_default() += 1;
}

/// The connections a listener holds now.
pub fn count_connections(pava: &Pava, listener: &str, open: usize) {
    lock_counters(pava)
        .connections
        .insert(listener.to_string(), open as u64);
}

/// Counts a UDP message dropped because the engine is behind.
pub fn overloaded(pava: &Pava, source: IpAddr) {
    count_drop(pava, source, "overload");
}

/// Counts a received UDP message dropped for `reason` (`overload`, `over-quota`).
pub fn count_drop(pava: &Pava, source: IpAddr, reason: &str) {
    let mut counters = lock_counters(pava);
    counters.received += 1;
    counters.count_drop(source, reason);
}

/// What the API shows of PAVA.
pub fn snapshot(pava: &Pava, reports: crate::messages::Reports) -> crate::messages::PavaStatus {
    let counters = lock_counters(pava).clone();
    let buffer = pava.udp_buffer.load(std::sync::atomic::Ordering::Relaxed);
    crate::messages::PavaStatus {
        counters,
        udp_receive_buffer_bytes: (buffer > 0).then_some(buffer as u64),
        queued_bytes: pava.queued.load(std::sync::atomic::Ordering::Relaxed) as u64,
        reports,
    }
}
