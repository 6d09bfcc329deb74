//! The running gateway: the verified bundle, the state database, the MUD source and the
//! firewall, and PASC's onboarding over them (m1 to m8).

use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use serde_json::{Value, json};

use crate::access::{Action, Principal};
use crate::api::extract::{MAX_ID_LEN, check_id};
use crate::bundle::{BundleError, PolicyBundle};
use crate::config::GatewayConfig;
use crate::error::{ApiError, GatewayError, StartError};
use crate::firewall::{Firewall, FirewallConfig};
use crate::messages::{
    AuditLog, BundleChange, BundleSummary, DeviceDetail, DeviceList, HoldList, IncidentList,
    OnboardRequest, OnboardResponse, PavaStatus, PeersUpdated, ReleaseRequest, Released, Reload,
    Removal, Reports, Status,
};
use crate::mud::{MudFile, parse_mud};
use crate::pasc::classify::Evidence;
use crate::pasc::onboard::onboard;
use crate::pasc::signature::SignatureVerdict;
use crate::store::{AddError, Device, Store, now};
use crate::things::Things;
use ward_compiler::ir::SignatureRule;

/// The longest reason for a removal the audit log keeps (longer ones are cut).
const MAX_REASON_LEN: usize = 500;

/// How many peer ids a response lists.
const PEER_IDS_SHOWN: usize = 100;

pub struct Gateway {
    pub config: GatewayConfig,
    /// Shared with the firewall task, which renders from the bundle in force.
    bundle: Arc<RwLock<Arc<PolicyBundle>>>,
    /// The database and the in-memory index of its things, changed together.
    store: Arc<Mutex<State>>,
    client: reqwest::Client,
    pub firewall: Firewall,
    /// PAVA, when the gateway listens for syslog.
    pub pava: Option<Arc<crate::pava::service::Pava>>,
    /// How many refused onboardings the audit log has taken this minute.
    refusals: crate::refusals::Refusals,
    /// How many refused changes (403) the audit log has taken this minute.
    denials: crate::refusals::Refusals,
    /// Who may do what on the API.
    api_policy: crate::access::policy::ApiPolicy,
    /// Trust anchors of MUD signatures, by the MUD URL's host.
    signers: std::collections::BTreeMap<String, Vec<x509_cert::Certificate>>,
    /// Held while the bundle file is replaced or loaded (a reload asked on the API or by
    /// SIGHUP, a bundle pulled from the platform): one at a time, so a pulled bundle checked
    /// against the sequence in force is loaded before anything else can change it.
    pub(crate) swap: tokio::sync::Mutex<()>,
    /// The syslog listeners' bound addresses: (UDP, TCP, TLS).
    pub syslog: (
        Option<std::net::SocketAddr>,
        Option<std::net::SocketAddr>,
        Option<std::net::SocketAddr>,
    ),
}

/// The database and the things it holds, indexed in memory.
pub(crate) struct State {
    pub(crate) store: Store,
    pub(crate) things: Things,
}

impl std::ops::Deref for State {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

pub(crate) fn lock(store: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave SQLite half-written (transactions roll
    // back), so a poisoned lock is still a usable store.
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn current(bundle: &RwLock<Arc<PolicyBundle>>) -> Arc<PolicyBundle> {
    bundle
        .read()
        .map(|b| b.clone())
        .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    GatewayError::internal(error).into()
}

/// Loads and verifies the bundle the configuration names.
pub fn load_bundle(config: &GatewayConfig) -> Result<(PolicyBundle, String), BundleError> {
    let keys = config
        .keys
        .iter()
        .map(|path| crate::bundle::verifying_key(path))
        .collect::<Result<Vec<_>, _>>()?;
    crate::bundle::open_trusted(&config.bundle, &keys)
}

/// The operator's API policy, or the default; either must validate, or the gateway does not
/// start.
fn load_api_policy(
    path: Option<&std::path::Path>,
) -> Result<crate::access::policy::ApiPolicy, StartError> {
    use crate::access::policy::ApiPolicy;
    let (shown, result) = match path {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| ApiPolicy::new(&text)),
        ),
        None => ("(the default)".to_string(), ApiPolicy::standard()),
    };
    result.map_err(|error| StartError::ApiPolicy { path: shown, error })
}

/// Runs blocking work (SQLite, CPU-heavy rendering) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(internal(format!("a task failed: {e}"))))
}

/// Whether an address is an onboarded thing's (the standing of its syslog connections).
fn known(store: Arc<Mutex<State>>) -> crate::pava::listeners::Known {
    Arc::new(move |source| {
        lock(&store)
            .things
            .at_address(&source.to_string())
            .is_some()
    })
}

/// Who may send over TLS: a thing whose profile has client authentication (M3), or that is
/// in quarantine, must present its certificate; revoked credentials are refused.
fn admission(
    bundle: Arc<RwLock<Arc<PolicyBundle>>>,
    store: Arc<Mutex<State>>,
) -> crate::pava::tls::Admission {
    Arc::new(move |source, identity| {
        let state = lock(&store);
        if let Some(id) = identity {
            if state.store.is_revoked(id).unwrap_or(false) {
                return Err("credentials-revoked");
            }
            return Ok(());
        }
        let Some((id, class)) = state.things.at_address(&source.to_string()) else {
            return Ok(());
        };
        if state.store.is_revoked(id).unwrap_or(false) {
            return Err("credentials-revoked");
        }
        let policy = current(&bundle);
        // A quarantined thing holds no profile, but is the last one to take on its word: it
        // proves who it is, or is not heard over TLS.
        let needs_certificate = policy
            .ir
            .class(class)
            .is_some_and(|c| c.is_quarantine() || c.mitigations.iter().any(|m| m.id == "M3"));
        if needs_certificate {
            Err("client-cert-required")
        } else {
            Ok(())
        }
    })
}

impl Gateway {
    /// Opens the state, loads the bundle (refusing a bad signature) and starts the firewall
    /// task with a ruleset for the inventory as stored: after a restart, the firewall is
    /// rebuilt from the database, which is the truth.
    pub async fn start(config: GatewayConfig) -> Result<Arc<Gateway>, StartError> {
        let api_policy = load_api_policy(config.api_policy.as_deref())?;
        let mut signers = std::collections::BTreeMap::new();
        for (host, path) in &config.mud_signers {
            let anchors = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|pem| crate::mud_signature::anchors_from_pem(&pem))
                .map_err(|error| StartError::MudSigner {
                    host: host.clone(),
                    error: format!("{}: {error}", path.display()),
                })?;
            signers.insert(host.clone(), anchors);
        }
        let mut opened = Store::open(&config.state)?;
        // A first start with only the platform's URL: the bundle comes from there.
        if let Some(settings) = &config.distribution
            && !config.bundle.exists()
        {
            crate::distribution::bootstrap(settings, &config.bundle, &config.keys)
                .await
                .map_err(StartError::Runtime)?;
        }
        // The bundle verifies, and is not older than the last one accepted (no rollback,
        // across restarts too).
        let accepted = load_bundle(&config).and_then(|(bundle, key_id)| {
            opened.accept_bundle(&bundle, &key_id)?;
            Ok(bundle)
        });
        let loaded = match accepted {
            Ok(bundle) => {
                // Incidents whose actions a crash left unapplied are applied now, before the
                // inventory is read and the firewall built from it.
                let replayed = crate::pava::actions::replay(&mut opened, &bundle)?;
                if replayed > 0 {
                    eprintln!(
                        "ward gateway: applied the actions of {replayed} incidents a stop left pending"
                    );
                }
                Arc::new(bundle)
            }
            Err(error) => {
                let _ = opened.audit(
                    "bundle-refused",
                    None,
                    &json!({ "code": error.code(), "error": error.to_string(), "by": "start" }),
                );
                return Err(error.into());
            }
        };
        let things = Things::from_devices(&opened.devices()?);
        let store = Arc::new(Mutex::new(State {
            store: opened,
            things,
        }));
        let client = reqwest::Client::builder()
            .timeout(crate::mud_source::FETCH_TIMEOUT)
            .redirect(crate::fetch_guard::redirects())
            .dns_resolver(config.fetch_guard.resolver())
            .build()
            .map_err(|e| StartError::Runtime(format!("HTTP client: {e}")))?;
        let bundle = Arc::new(RwLock::new(loaded.clone()));
        let render = {
            let store = store.clone();
            let bundle = bundle.clone();
            move || {
                let policy = current(&bundle);
                let (inventory, raised) = {
                    let state = lock(&store);
                    (state.things.inventory(), state.things.raised(&policy.ir))
                };
                let things = inventory.values().map(Vec::len).sum();
                (
                    ward_compiler::emit::nft::ruleset_for_inventory(
                        &policy.ir, &inventory, &raised,
                    ),
                    things,
                )
            }
        };
        let firewall = Firewall::start(
            FirewallConfig {
                ruleset: config.ruleset.clone(),
                apply: config.apply_firewall,
                nft: config.nft.clone(),
            },
            render,
        );
        lock(&store).audit(
            "bundle-loaded",
            None,
            &json!({
                "revision": loaded.manifest.revision,
                "path": config.bundle.display().to_string(),
            }),
        )?;
        let listens = config.syslog_udp.is_some()
            || config.syslog_tcp.is_some()
            || config.syslog_tls.is_some();
        let (pava, syslog) = if listens {
            let wake = Arc::new(tokio::sync::Notify::new());
            let pava = crate::pava::service::start(
                crate::pava::service::EngineContext {
                    bundle: bundle.clone(),
                    state: store.clone(),
                    firewall: firewall.clone(),
                    incidents_file: config.incidents.clone(),
                    max_groups: config.max_groups,
                    runtime: tokio::runtime::Handle::current(),
                    outbox: wake.clone(),
                },
                65_536,
            )?;
            crate::pava::outbox::start(store.clone(), client.clone(), wake);
            let udp = match config.syslog_udp {
                Some(address) => Some(crate::pava::listeners::udp(address, pava.clone()).await?),
                None => None,
            };
            let tcp = match config.syslog_tcp {
                Some(address) => Some(
                    crate::pava::listeners::tcp(address, pava.clone(), known(store.clone()))
                        .await?,
                ),
                None => None,
            };
            let tls = match &config.syslog_tls {
                Some(settings) => Some(
                    crate::pava::tls::listen(
                        settings,
                        pava.clone(),
                        admission(bundle.clone(), store.clone()),
                        known(store.clone()),
                    )
                    .await?,
                ),
                None => None,
            };
            (Some(pava), (udp, tcp, tls))
        } else {
            (None, (None, None, None))
        };
        let gateway = Arc::new(Gateway {
            config,
            bundle,
            store,
            client,
            firewall,
            pava,
            refusals: crate::refusals::Refusals::new(std::time::Instant::now()),
            denials: crate::refusals::Refusals::new(std::time::Instant::now()),
            api_policy,
            signers,
            swap: tokio::sync::Mutex::new(()),
            syslog,
        });
        let status = gateway.firewall.update().await;
        if let Some(error) = status.error {
            return Err(StartError::Firewall(error));
        }
        if let Some(settings) = gateway.config.distribution.clone() {
            tokio::spawn(crate::distribution::run(gateway.clone(), settings));
        }
        if let Some(settings) = gateway.config.fleet.clone() {
            crate::fleet::start(
                gateway.store.clone(),
                crate::fleet::Running::Bundle(gateway.bundle.clone()),
                settings,
            );
        }
        Ok(gateway)
    }

    pub fn bundle(&self) -> Arc<PolicyBundle> {
        current(&self.bundle)
    }

    /// The principal of a bearer token, or why it is refused.
    pub fn verify_token(&self, token: &str) -> Result<Principal, GatewayError> {
        let verdict = lock(&self.store)
            .verify_token(token, &now())
            .map_err(GatewayError::internal)?;
        match verdict {
            Ok((id, role)) => Ok(Principal::Token { id, role }),
            Err(refusal) => Err(GatewayError::Unauthenticated {
                reason: refusal.as_str(),
            }),
        }
    }

    /// Whether `principal` may do `action`, as the API's Cedar policy decides. A refused
    /// change is audited (within the bound of `refusals.rs`, as refused onboardings are).
    pub async fn authorize(
        &self,
        principal: &Principal,
        action: Action,
        source: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let verdict = self.api_policy.decide(principal, &action);
        if verdict.allowed {
            return Ok(());
        }
        if action.changes() {
            let admitted = self.denials.admit(source, std::time::Instant::now());
            let detail = json!({
                "principal": principal.audit_name(),
                "action": action.name(),
                "source": source.map(|s| s.to_string()),
            });
            let store = self.store.clone();
            let _ = blocking(move || {
                let state = lock(&store);
                if let Some(summary) = admitted.summary {
                    state
                        .audit("access-denials-suppressed", None, &summary)
                        .map_err(internal)?;
                }
                if admitted.write {
                    state
                        .audit("access-denied", None, &detail)
                        .map_err(internal)?;
                }
                Ok(())
            })
            .await;
        }
        Err(GatewayError::Forbidden {
            action: action.name(),
            principal: principal.audit_name(),
        }
        .into())
    }

    /// Re-reads the bundle file: a bundle that verifies replaces the one in force, and the
    /// firewall is rebuilt; one that does not is refused and the old one stays.
    /// `by` names who asked (a principal's audit name, or `signal` for SIGHUP).
    pub async fn reload(&self, by: &str) -> Result<Reload, ApiError> {
        let _swap = self.swap.lock().await;
        self.reload_held(by).await
    }

    /// `reload`, the swap lock held by the caller.
    pub(crate) async fn reload_held(&self, by: &str) -> Result<Reload, ApiError> {
        let config = self.config.clone();
        let store = self.store.clone();
        let loaded = blocking(move || {
            let refused = |e: BundleError| {
                ApiError::from(GatewayError::BundleRefused {
                    code: e.code(),
                    reason: e.to_string(),
                })
            };
            // Verified outside the lock; accepted (no rollback) under it.
            let (bundle, key_id) = load_bundle(&config).map_err(refused)?;
            lock(&store)
                .store
                .accept_bundle(&bundle, &key_id)
                .map_err(refused)?;
            Ok(bundle)
        })
        .await;
        let store = self.store.clone();
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                let detail = json!({ "code": error.code, "error": error.message, "by": by });
                let _ = blocking(move || {
                    lock(&store)
                        .audit("bundle-refused", None, &detail)
                        .map_err(internal)
                })
                .await;
                return Err(error);
            }
        };
        let old = self.bundle().manifest.revision.clone();
        let revision = loaded.manifest.revision.clone();
        let orphans: Vec<String> = {
            let devices = lock(&self.store).devices().map_err(internal)?;
            devices
                .into_iter()
                .filter(|d| loaded.ir.class(&d.class).is_none())
                .map(|d| d.id)
                .collect()
        };
        match self.bundle.write() {
            Ok(mut slot) => *slot = Arc::new(loaded),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
        }
        let change = BundleChange {
            old,
            revision,
            devices_without_class: orphans,
        };
        {
            let mut detail = serde_json::to_value(&change).map_err(internal)?;
            if let Some(object) = detail.as_object_mut() {
                object.insert("by".to_string(), json!(by));
            }
            blocking(move || {
                lock(&store)
                    .audit("bundle-loaded", None, &detail)
                    .map_err(internal)
            })
            .await?;
        }
        let firewall = self.firewall.update().await;
        Ok(Reload {
            bundle: change,
            firewall,
        })
    }

    /// Records an event of the gateway itself in the audit log.
    pub(crate) async fn record(&self, event: &'static str, detail: Value) -> Result<(), ApiError> {
        let store = self.store.clone();
        blocking(move || {
            lock(&store)
                .audit(event, None, &detail)
                .map(|_| ())
                .map_err(internal)
        })
        .await
    }

    /// Whether the bundle file at `path` verifies (signature, format, digests) and may replace
    /// the one accepted (no rollback), without loading or recording it: its sequence number
    /// and revision.
    pub(crate) async fn check_candidate(
        &self,
        path: std::path::PathBuf,
    ) -> Result<(u64, String), BundleError> {
        let keys = self.config.keys.clone();
        let store = self.store.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let keys = keys
                .iter()
                .map(|path| crate::bundle::verifying_key(path))
                .collect::<Result<Vec<_>, _>>()?;
            let (bundle, key_id) = crate::bundle::open_trusted(&path, &keys)?;
            lock(&store).store.may_accept(&bundle, &key_id)?;
            Ok((
                bundle.sequence.unwrap_or_default(),
                bundle.manifest.revision.clone(),
            ))
        })
        .await;
        checked.unwrap_or_else(|e| Err(BundleError::State(e.to_string())))
    }

    /// PASC for one thing (see `onboard_thing`); a refusal is recorded in the audit log.
    /// Onboards a thing (see `onboard_thing`); a refusal is audited with the request's
    /// source, within the bound of `refusals.rs`.
    pub async fn onboard(
        &self,
        request: OnboardRequest,
        source: Option<IpAddr>,
        by: &Principal,
    ) -> Result<OnboardResponse, ApiError> {
        let id = request.id.clone();
        let result = self.onboard_thing(request, by).await;
        if let Err(error) = &result
            && error.status < 500
        {
            let admitted = self.refusals.admit(source, std::time::Instant::now());
            let store = self.store.clone();
            // The id as sent may be anything: the audit log keeps a bounded, printable copy.
            let shown: String = id
                .chars()
                .take(MAX_ID_LEN)
                .filter(|c| !c.is_control())
                .collect();
            let detail = json!({
                "id": shown,
                "code": error.code,
                "message": error.message,
                "source": source.map(|s| s.to_string()),
                "by": by.audit_name(),
            });
            let _ = blocking(move || {
                let state = lock(&store);
                if let Some(summary) = admitted.summary {
                    state
                        .audit("onboarding-refusals-suppressed", None, &summary)
                        .map_err(internal)?;
                }
                if admitted.write {
                    state
                        .audit("onboarding-refused", None, &detail)
                        .map_err(internal)?;
                }
                Ok(())
            })
            .await;
        }
        result
    }

    /// PASC for one thing: m1 (the request), m2/m3 (its MUD file), RA and PIA (the class's
    /// assessment), m6 (its configuration), m7 (peers), m8 (the firewall).
    async fn onboard_thing(
        &self,
        request: OnboardRequest,
        by: &Principal,
    ) -> Result<OnboardResponse, ApiError> {
        check_id(&request.id)?;
        let address: IpAddr = request.address.parse().map_err(|_| {
            ApiError::from(GatewayError::BadAddress {
                address: request.address.clone(),
            })
        })?;
        let (mud, mud_read_from, bytes) = self.mud_of(&request).await?;
        let signature = self.signature_of(&request, &mud, &bytes).await;
        let policy = self.bundle();
        // A document the caller sent is the caller's word, which the API's policy allowed; a
        // fetched one vouches for nothing but its URL, unless its manufacturer signed it.
        let evidence = match (&request.mud, &signature) {
            (Some(_), _) => Evidence::Sender,
            (None, SignatureVerdict::Valid { .. }) => Evidence::Signed,
            (None, _) => Evidence::Fetched,
        };
        let onboarding = onboard(&policy, &mud, &request.id, evidence)
            .map_err(|refusal| ApiError::from(GatewayError::Refused(refusal)))?;
        let onboarding =
            self.apply_signature_rule(&policy, &mud, &request.id, onboarding, &signature)?;
        let subnets = policy.ir.addresses_of(&onboarding.class);
        if !subnets.is_empty() && !subnets.iter().any(|s| s.contains_address(address)) {
            return Err(GatewayError::AddressOutsideSegment {
                address: address.to_string(),
                class: onboarding.class.clone(),
                subnets: subnets.iter().map(ToString::to_string).collect(),
            }
            .into());
        }
        let mut onboarding = onboarding;
        if let Some(device) = onboarding
            .config
            .get_mut("device")
            .and_then(Value::as_object_mut)
        {
            device.insert("address".to_string(), json!(address.to_string()));
        }
        let mut record = serde_json::to_value(&onboarding).map_err(internal)?;
        if let Some(object) = record.as_object_mut() {
            object.insert("address".to_string(), json!(address.to_string()));
            object.insert("by".to_string(), json!(by.audit_name()));
            // How the MUD file came: a document is the client's word, a URL the source's.
            let mud = if request.mud.is_some() {
                "inline"
            } else {
                "url"
            };
            object.insert("mud_from".to_string(), json!(mud));
            // What was actually read: the URL fetched (after redirects), or the file.
            object.insert("mud_read_from".to_string(), json!(mud_read_from));
            object.insert("mud_signature".to_string(), json!(signature));
        }
        let device = Device {
            id: request.id.clone(),
            class: onboarding.class.clone(),
            address: address.to_string(),
            mud_url: mud.url.clone(),
            profile: onboarding.profile.clone(),
            level: onboarding.level,
            quarantined: onboarding.quarantined,
            onboarded_at: now(),
            bundle_revision: policy.manifest.revision.clone(),
            raised_profile: None,
        };
        let store = self.store.clone();
        let peer_classes = onboarding.peers.clone();
        let certificate = match by {
            Principal::Thing { name, .. } => Some(name.clone()),
            Principal::Token { .. } | Principal::Certificate { .. } => None,
        };
        let (audit_seq, peers_updated) = blocking(move || {
            let mut state = lock(&store);
            // m7 is decided before the commit, so that the audit entry lists the peers too.
            let (things, ids) = state.things.of_classes(&peer_classes, PEER_IDS_SHOWN);
            let peers = PeersUpdated {
                classes: peer_classes,
                things,
                ids,
            };
            if let Some(object) = record.as_object_mut() {
                object.insert("peers_updated".to_string(), json!(peers));
            }
            // A thing quarantined or revoked before keeps that verdict on its id and address,
            // and on its certificate: a thing onboarding itself is held by the name its
            // certificate gives (its id at the gateway's TLS listeners), whatever id it asks.
            let mut held = state
                .store
                .holds_on(&device.id, &device.address)
                .map_err(internal)?;
            if let Some(name) = &certificate {
                held.extend(state.store.holds_on(name, "").map_err(internal)?);
            }
            if let Some(hold) = held.into_iter().next() {
                return Err(GatewayError::IdentityHeld {
                    kind: hold.kind,
                    value: hold.value,
                    reason: hold.reason,
                    device: hold.device,
                    at: hold.at,
                }
                .into());
            }
            let seq = state
                .store
                .add_device(&device, &record)
                .map_err(|e| match e {
                    AddError::DuplicateId => GatewayError::DuplicateDevice {
                        id: device.id.clone(),
                    }
                    .into(),
                    AddError::DuplicateAddress(other) => GatewayError::DuplicateAddress {
                        address: device.address.clone(),
                        holder: other,
                    }
                    .into(),
                    AddError::Store(message) => internal(message),
                })?;
            state.things.add(&device.class, &device.id, &device.address);
            Ok((seq, peers))
        })
        .await?;
        let firewall = self.firewall.update().await;
        if let Some(error) = &firewall.error {
            let store = self.store.clone();
            let detail = json!({ "device": request.id, "error": error });
            let _ = blocking(move || {
                lock(&store)
                    .audit("firewall-failed", None, &detail)
                    .map_err(internal)
            })
            .await;
        }
        Ok(OnboardResponse {
            mud_signature: signature,
            onboarding,
            address: address.to_string(),
            peers_updated,
            firewall,
            audit_seq,
        })
    }

    /// The MUD file of a request: the document it carries, or the one its URL names, fetched
    /// from the configured source.
    /// The MUD file of a request, and where it came from: the document it carries
    /// (`inline`), or the one its URL names, fetched from the configured source (the URL or
    /// file actually read).
    async fn mud_of(
        &self,
        request: &OnboardRequest,
    ) -> Result<(MudFile, String, Vec<u8>), ApiError> {
        let (bytes, from) = match (&request.mud, &request.mud_url) {
            (Some(document), _) => (
                serde_json::to_vec(document).map_err(internal)?,
                "inline".to_string(),
            ),
            (None, Some(url)) => self
                .config
                .mud_source
                .fetch(&self.client, &self.config.fetch_guard, url)
                .await
                .map_err(|e| ApiError::from(GatewayError::MudFetch(e)))?,
            (None, None) => {
                return Err(GatewayError::NoMud.into());
            }
        };
        let mud = parse_mud(&bytes).map_err(|mut e| {
            // What a fetched file says is not echoed to the client (the URL may name a
            // server the client cannot read, the gateway's own API among them): the code
            // and the JSON path only.
            if request.mud.is_none() {
                e.message = format!(
                    "the MUD file fetched for the URL does not read ({})",
                    e.code
                );
                e.hint = None;
            }
            ApiError::from(GatewayError::Mud(e))
        })?;
        // A file is the MUD file of the URL it names (RFC 8520 section 4): one fetched for
        // another URL, or sent with another, is another thing's.
        if let Some(url) = &request.mud_url
            && *url != mud.url
        {
            return Err(GatewayError::MudUrlMismatch {
                requested: url.clone(),
                declared: if request.mud.is_some() {
                    mud.url.clone()
                } else {
                    "another URL".to_string()
                },
            }
            .into());
        }
        Ok((mud, from, bytes))
    }

    /// Whether the manufacturer vouches for a fetched MUD file: its `mud-signature`, fetched
    /// as the file was, checked against the trust anchors of the MUD URL's host.
    async fn signature_of(
        &self,
        request: &OnboardRequest,
        mud: &MudFile,
        bytes: &[u8],
    ) -> SignatureVerdict {
        if request.mud.is_some() {
            return SignatureVerdict::Inline;
        }
        let Some(url) = &mud.signature else {
            return SignatureVerdict::Unsigned {
                why: "the MUD file names no mud-signature".to_string(),
            };
        };
        let host = crate::pasc::classify::host_of(&mud.url).unwrap_or_default();
        let Some(anchors) = self.signers.get(&host) else {
            return SignatureVerdict::Unsigned {
                why: format!("no trust anchor is configured for {host} (--mud-signer)"),
            };
        };
        let fetched = self
            .config
            .mud_source
            .fetch(&self.client, &self.config.fetch_guard, url)
            .await;
        match fetched {
            Err(error) => SignatureVerdict::Invalid {
                reason: format!("the signature could not be fetched: {}", error.message),
            },
            Ok((signature, _)) => match crate::mud_signature::verify(
                bytes,
                &signature,
                anchors,
                std::time::SystemTime::now(),
            ) {
                Ok(signer) => SignatureVerdict::Valid { signer },
                Err(reason) => SignatureVerdict::Invalid { reason },
            },
        }
    }

    /// The class's rule for a file its manufacturer does not vouch for: refuse the thing,
    /// place it in quarantine, or onboard it as classified (the verdict is recorded).
    fn apply_signature_rule(
        &self,
        policy: &PolicyBundle,
        mud: &MudFile,
        device: &str,
        onboarding: crate::pasc::onboard::Onboarding,
        signature: &SignatureVerdict,
    ) -> Result<crate::pasc::onboard::Onboarding, ApiError> {
        if signature.vouched() || onboarding.quarantined {
            return Ok(onboarding);
        }
        let rule = policy
            .ir
            .class(&onboarding.class)
            .map_or(SignatureRule::Optional, |c| c.signature_rule());
        let refused = || {
            ApiError::from(GatewayError::MudSignature {
                class: onboarding.class.clone(),
                why: signature.why_not(),
            })
        };
        match rule {
            SignatureRule::Optional => Ok(onboarding),
            SignatureRule::Required => Err(refused()),
            SignatureRule::Quarantine => {
                crate::pasc::onboard::quarantine(policy, mud, device).ok_or_else(refused)
            }
        }
    }

    pub async fn devices(&self) -> Result<DeviceList, ApiError> {
        let store = self.store.clone();
        blocking(move || {
            let devices = lock(&store).devices().map_err(internal)?;
            Ok(DeviceList { devices })
        })
        .await
    }

    /// One thing, with its configuration (m6).
    pub async fn device(&self, id: String) -> Result<DeviceDetail, ApiError> {
        check_id(&id)?;
        let store = self.store.clone();
        blocking(move || match lock(&store).device(&id).map_err(internal)? {
            Some((device, onboarding)) => Ok(DeviceDetail {
                device,
                config: onboarding.get("config").cloned().unwrap_or(Value::Null),
                onboarding,
            }),
            None => Err(GatewayError::NoSuchDevice { id }.into()),
        })
        .await
    }

    /// Removes a thing: it leaves the inventory and the firewall's sets (the ruleset is
    /// rebuilt before the answer), its id and address are free again; the removal is audited
    /// with the reason given. Its incidents and audit entries stay, and so does a revocation
    /// of its credentials.
    pub async fn remove(
        &self,
        id: String,
        reason: Option<String>,
        by: &Principal,
    ) -> Result<Removal, ApiError> {
        check_id(&id)?;
        let store = self.store.clone();
        let reason: Option<String> = reason.map(|r| {
            r.chars()
                .filter(|c| !c.is_control())
                .take(MAX_REASON_LEN)
                .collect()
        });
        let detail = match &reason {
            Some(reason) => json!({ "reason": reason, "by": by.audit_name() }),
            None => json!({ "by": by.audit_name() }),
        };
        let (device, audit_seq) = blocking(move || {
            let mut state = lock(&store);
            let removed = state.store.remove_device(&id, &detail).map_err(internal)?;
            let Some((device, seq)) = removed else {
                return Err(GatewayError::NoSuchDevice { id }.into());
            };
            state.things.remove(&device.id);
            Ok((device, seq))
        })
        .await?;
        let firewall = self.firewall.update().await;
        Ok(Removal {
            removed: device,
            firewall,
            audit_seq,
        })
    }

    pub async fn holds(&self) -> Result<HoldList, ApiError> {
        let store = self.store.clone();
        blocking(move || {
            let holds = lock(&store).holds().map_err(internal)?;
            Ok(HoldList { holds })
        })
        .await
    }

    /// Releases the holds on an id and/or an address: the operator has dealt with the thing.
    pub async fn release(
        &self,
        request: ReleaseRequest,
        by: &Principal,
    ) -> Result<Released, ApiError> {
        if let Some(id) = &request.id {
            check_id(id)?;
        }
        if request.id.is_none() && request.address.is_none() {
            return Err(GatewayError::NothingHeld.into());
        }
        let reason: Option<String> = request.reason.map(|r| {
            r.chars()
                .filter(|c| !c.is_control())
                .take(MAX_REASON_LEN)
                .collect()
        });
        let detail = json!({ "by": by.audit_name(), "reason": reason });
        let store = self.store.clone();
        blocking(move || {
            let released = lock(&store)
                .store
                .release(request.id.as_deref(), request.address.as_deref(), &detail)
                .map_err(internal)?;
            if released.is_empty() {
                return Err(GatewayError::NothingHeld.into());
            }
            Ok(Released { released })
        })
        .await
    }

    pub fn status(&self) -> Status {
        let policy = self.bundle();
        let (things, things_by_class) = {
            let state = lock(&self.store);
            (state.things.count(), state.things.counts())
        };
        Status {
            bundle: BundleSummary {
                revision: policy.manifest.revision.clone(),
                compiler: policy.manifest.compiler.clone(),
                classes: policy.ir.classes.len(),
                flows: policy.ir.flows.len(),
                detection_rules: policy.ir.detections.len(),
            },
            things,
            things_by_class: things_by_class.into_iter().collect(),
            firewall: self.firewall.status(),
            onboarding_refusals_suppressed: self.refusals.suppressed(),
        }
    }

    pub async fn incidents(&self, after: String, limit: i64) -> Result<IncidentList, ApiError> {
        let store = self.store.clone();
        blocking(move || {
            let incidents = lock(&store)
                .store
                .incidents(&after, limit.clamp(1, 1000))
                .map_err(internal)?;
            Ok(IncidentList { incidents })
        })
        .await
    }

    pub fn pava_status(&self) -> Result<PavaStatus, ApiError> {
        let Some(pava) = &self.pava else {
            return Err(ApiError::from(GatewayError::PavaOff));
        };
        let (pending, delivered) = lock(&self.store).store.outbox_counts().map_err(internal)?;
        Ok(crate::pava::service::snapshot(
            pava,
            Reports { pending, delivered },
        ))
    }

    pub async fn audit(&self, after: i64, limit: i64) -> Result<AuditLog, ApiError> {
        let store = self.store.clone();
        blocking(move || {
            let entries = lock(&store)
                .audit_log(after, limit.clamp(1, 1000))
                .map_err(internal)?;
            Ok(AuditLog { entries })
        })
        .await
    }
}
