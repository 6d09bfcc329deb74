//! The firewall ruleset against real packets: network namespaces for a gateway and for things
//! in three segments, the built ruleset loaded in the gateway's namespace, real TCP and UDP
//! sent between them.
//!
//! Needs root, `ip` (iproute2), `nft` (nftables) and `python3` (the endpoints). CI runs as root
//! and installs them (.ci/run), and there the test must run; elsewhere it says loudly that it
//! skips.

use std::path::Path;
use std::process::{Command, Output};

#[path = "support/gateway.rs"]
#[allow(dead_code)]
mod gateway_client;
#[path = "support/pki.rs"]
mod pki;

fn run(args: &[&str]) -> Output {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"))
}

fn must(args: &[&str]) {
    let output = run(args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn available() -> bool {
    let root = run(&["id", "-u"]).stdout == b"0\n";
    let tools = ["ip", "nft", "python3"].iter().all(|t| {
        Command::new(t).arg("-V").output().is_ok()
            || Command::new(t).arg("--version").output().is_ok()
    });
    if root && tools {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI must run the namespace test: root {root}, ip/nft/python3 installed {tools}");
    }
    eprintln!(
        "SKIPPED: the namespace test needs root, iproute2, nftables and python3 (CI runs it)"
    );
    false
}

/// Namespaces named with this process's id, deleted on drop even when the test fails.
struct Lab {
    prefix: String,
}

impl Lab {
    fn ns(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn exec(&self, ns: &str, args: &[&str]) -> Output {
        let ns = self.ns(ns);
        let mut full = vec!["ip", "netns", "exec", ns.as_str()];
        full.extend_from_slice(args);
        run(&full)
    }

    fn exec_ok(&self, ns: &str, args: &[&str]) {
        let output = self.exec(ns, args);
        assert!(
            output.status.success(),
            "in {ns}: {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Waits (up to 10 s) until no namespace of the lab holds a tentative IPv6 address: the
    /// link-local addresses go through duplicate address detection for a second or more after
    /// a link comes up, and on a loaded machine a test that starts before it ends sees its
    /// first connection fail. A gateway's links are up long before its things talk.
    fn settle_ipv6(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        for ns in ["gw", "alpha", "beta", "gamma"] {
            loop {
                let output = self.exec(ns, &["ip", "-6", "addr", "show", "tentative"]);
                if output.stdout.is_empty() {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "IPv6 addresses still tentative in {ns}: {}",
                    String::from_utf8_lossy(&output.stdout)
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }

    /// The gateway `gw` with one veth link to each segment's host: `alpha` 10.91.1.2 (via
    /// 10.91.1.1), `beta` 10.91.2.2, `gamma` 10.91.3.2.
    fn new() -> Lab {
        // Unique per lab: tests of this file run in parallel in one process. Interface
        // names (prefix + 2) must stay within 15 bytes.
        static LABS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = LABS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let lab = Lab {
            prefix: format!("w{}x{n}", std::process::id() % 100_000),
        };
        must(&["ip", "netns", "add", &lab.ns("gw")]);
        lab.exec_ok("gw", &["ip", "link", "set", "lo", "up"]);
        lab.exec_ok("gw", &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
        for (i, host) in ["alpha", "beta", "gamma"].iter().enumerate() {
            let n = i + 1;
            must(&["ip", "netns", "add", &lab.ns(host)]);
            let outer = format!("{}g{n}", lab.prefix);
            let inner = format!("{}h{n}", lab.prefix);
            must(&[
                "ip", "link", "add", &outer, "type", "veth", "peer", "name", &inner,
            ]);
            must(&["ip", "link", "set", &outer, "netns", &lab.ns("gw")]);
            must(&["ip", "link", "set", &inner, "netns", &lab.ns(host)]);
            lab.exec_ok(
                "gw",
                &[
                    "ip",
                    "addr",
                    "add",
                    &format!("10.91.{n}.1/24"),
                    "dev",
                    &outer,
                ],
            );
            lab.exec_ok("gw", &["ip", "link", "set", &outer, "up"]);
            lab.exec_ok(
                host,
                &[
                    "ip",
                    "addr",
                    "add",
                    &format!("10.91.{n}.2/24"),
                    "dev",
                    &inner,
                ],
            );
            lab.exec_ok(host, &["ip", "link", "set", &inner, "up"]);
            lab.exec_ok(host, &["ip", "link", "set", "lo", "up"]);
            lab.exec_ok(
                host,
                &[
                    "ip",
                    "route",
                    "add",
                    "default",
                    "via",
                    &format!("10.91.{n}.1"),
                ],
            );
        }
        lab
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in ["gw", "alpha", "beta", "gamma"] {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(ns)])
                .output();
        }
    }
}

/// Starts a one-shot server in `ns`, sends from `client_ns`, and says whether the payload
/// arrived (the server prints it).
fn reaches(
    lab: &Lab,
    client_ns: &str,
    server_ns: &str,
    server_ip: &str,
    proto: &str,
    port: u16,
) -> bool {
    reaches_from(lab, client_ns, None, server_ns, server_ip, proto, port)
}

/// As `reaches`, the client's datagrams (UDP only) carrying `spoofed` as their source
/// address when given (IP_TRANSPARENT lets a root client bind and send from an address it
/// does not hold).
fn reaches_from(
    lab: &Lab,
    client_ns: &str,
    spoofed: Option<&str>,
    server_ns: &str,
    server_ip: &str,
    proto: &str,
    port: u16,
) -> bool {
    // The server says `ready` once it listens: the client starts then, not after a guess.
    let (family, any) = if server_ip.contains(':') {
        ("socket.AF_INET6", "::")
    } else {
        ("socket.AF_INET", "0.0.0.0")
    };
    let server_code = match proto {
        "tcp" => format!(
            "import socket,sys\ns=socket.socket({family})\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
             s.bind(('{any}',{port}))\ns.listen()\ns.settimeout(3)\nprint('ready',flush=True)\n\
             try:\n  c,_=s.accept()\n  c.settimeout(2)\n  print(c.recv(16).decode())\nexcept OSError:\n  pass\n"
        ),
        _ => format!(
            "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',{port}))\n\
             s.settimeout(3)\nprint('ready',flush=True)\ntry:\n  print(s.recvfrom(16)[0].decode())\nexcept OSError:\n  pass\n"
        ),
    };
    let client_code = match proto {
        "tcp" => format!(
            "import socket\ntry:\n  c=socket.create_connection(('{server_ip}',{port}),timeout=2)\n  c.send(b'ward')\nexcept OSError:\n  pass\n"
        ),
        _ => format!(
            "import socket,time\nc=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n{}\
             for _ in range(5):\n  c.sendto(b'ward',('{server_ip}',{port}))\n  time.sleep(0.1)\n",
            spoofed
                .map(|ip| format!("c.setsockopt(socket.SOL_IP,19,1)\nc.bind(('{ip}',0))\n"))
                .unwrap_or_default()
        ),
    };
    let server_ns = lab.ns(server_ns);
    let mut server = Command::new("ip")
        .args(["netns", "exec", &server_ns, "python3", "-c", &server_code])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("server starts");
    let stdout = server.stdout.take().expect("server output");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    // A deny must not pass because nothing listened yet: no `ready`, no verdict.
    let ready = lines.next().and_then(Result::ok);
    assert_eq!(
        ready.as_deref(),
        Some("ready"),
        "the test server did not start"
    );
    let _ = lab.exec(client_ns, &["python3", "-c", &client_code]);
    let received: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = server.wait();
    received.iter().any(|line| line.contains("ward"))
}

#[test]
fn the_ruleset_passes_declared_flows_and_drops_the_rest() {
    if !available() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = dir.path().join("bundle");
    let built = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["build", "tests/fixtures/netns", "-o"])
        .arg(&bundle)
        .current_dir(&root)
        .output()
        .expect("ward build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let ruleset = bundle.join("firewall/ruleset.nft");

    let lab = Lab::new();
    // Before the ruleset, everything is routed: the lab itself works.
    assert!(
        reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 8080),
        "the lab routes"
    );

    lab.exec_ok("gw", &["nft", "-f", ruleset.to_str().expect("path")]);

    // Declared flows pass.
    assert!(
        reaches(&lab, "beta", "alpha", "10.91.1.2", "tcp", 8080),
        "beta -> alpha tcp/8080 is declared"
    );
    assert!(
        reaches(&lab, "gamma", "alpha", "10.91.1.2", "udp", 9000),
        "gamma -> alpha udp/9000 is declared"
    );
    // Lower to higher is dropped: alpha (SecProf_2) -> beta (SecProf_3).
    assert!(
        !reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 8080),
        "lower to higher must be dropped"
    );
    // An undeclared cross-segment flow is dropped: alpha -> gamma, same level.
    assert!(
        !reaches(&lab, "alpha", "gamma", "10.91.3.2", "tcp", 8080),
        "undeclared flow must be dropped"
    );
    // A declared pair on an undeclared port is dropped.
    assert!(
        !reaches(&lab, "beta", "alpha", "10.91.1.2", "tcp", 8081),
        "undeclared port must be dropped"
    );
    assert!(
        !reaches(&lab, "gamma", "alpha", "10.91.1.2", "tcp", 9000),
        "declared port, other protocol"
    );

    // The lower-to-higher drop rule counted the refused packets.
    assert_counted(&lab, "forward", &["@l4_level2", "@l4_level3"]);

    // Anti-spoofing: beta sends gamma's declared flow to alpha with gamma's address as its
    // source. The kernel's own reverse-path filter is off here, so what drops it is the
    // ruleset's `fib` rule: without that rule, the forged datagram passes.
    lab.exec_ok(
        "gw",
        &[
            "sh",
            "-c",
            "for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done",
        ],
    );
    assert!(
        !reaches_from(
            &lab,
            "beta",
            Some("10.91.3.2"),
            "alpha",
            "10.91.1.2",
            "udp",
            9000
        ),
        "a datagram with gamma's address from beta's segment must be dropped"
    );
    let without = without_rules(&ruleset, "fib saddr");
    lab.exec_ok("gw", &["nft", "-f", without.to_str().expect("path")]);
    assert!(
        reaches_from(
            &lab,
            "beta",
            Some("10.91.3.2"),
            "alpha",
            "10.91.1.2",
            "udp",
            9000
        ),
        "without the fib rule the forged datagram passes (the test's control)"
    );
    lab.exec_ok("gw", &["nft", "-f", ruleset.to_str().expect("path")]);
}

/// A minimal MUD file for a thing of the lab (`https://NAME.example/thing`).
fn lab_mud(name: &str) -> serde_json::Value {
    serde_json::json!({
        "ietf-mud:mud": {
            "mud-version": 1,
            "mud-url": format!("https://{name}.example/thing"),
            "last-update": "2026-01-01T00:00:00Z",
            "is-supported": true,
            "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}
        },
        "ietf-access-control-list:acls": {"acl": [{
            "name": "out",
            "type": "ipv4-acl-type",
            "aces": {"ace": [{
                "name": "gw-dns",
                "matches": {
                    "ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"},
                    "ipv4": {"protocol": 17},
                    "udp": {"destination-port": {"operator": "eq", "port": 53}}
                },
                "actions": {"forwarding": "accept"}
            }]}
        }]}
    })
}

/// Runs Python code in the gateway's namespace, with `stdin`; the first line it prints as a
/// status, and all it printed.
fn python_in_gateway(lab: &Lab, code: &str, stdin: &str) -> (u16, String) {
    let ns = lab.ns("gw");
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns, "python3", "-c", code])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    if let Some(mut input) = child.stdin.take() {
        use std::io::Write;
        let _ = input.write_all(stdin.as_bytes());
    }
    let output = child.wait_with_output().expect("python3 ends");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let status = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// GETs a path of the gateway's API from inside the gateway's namespace: the status line,
/// then the body.
/// The API over TLS (the CA the test made) with the gateway's operator token, in Python.
struct Api<'a> {
    address: std::net::SocketAddr,
    ca: &'a Path,
    token: &'a str,
}

impl Api<'_> {
    /// Python lines that set `ctx` (TLS, the test's CA) and `H` (the headers).
    fn prelude(&self) -> String {
        format!(
            "import json,ssl,sys,urllib.request,urllib.error\n\
             ctx=ssl.create_default_context(cafile='{}')\n\
             H={{'Authorization':'Bearer {}','Content-Type':'application/json'}}\n",
            self.ca.display(),
            self.token
        )
    }
}

fn get_in(lab: &Lab, api: &Api, path: &str) -> (u16, String) {
    let code = format!(
        "{}r=urllib.request.urlopen(urllib.request.Request('https://{}{path}',headers=H),timeout=10,context=ctx)\n\
         print(r.status);print(r.read().decode())\n",
        api.prelude(),
        api.address
    );
    python_in_gateway(lab, &code, "")
}

/// POSTs m1 to the gateway's API from inside the gateway's namespace; returns the status.
fn onboard_in(lab: &Lab, api: &Api, body: &serde_json::Value) -> (u16, String) {
    let code = format!(
        "{}req=urllib.request.Request('https://{}/v1/onboard',data=sys.stdin.buffer.read(),method='POST',headers=H)\n\
         try:\n  r=urllib.request.urlopen(req,timeout=20,context=ctx)\n  print(r.status);print(r.read().decode())\n\
         except urllib.error.HTTPError as e:\n  print(e.code);print(e.read().decode())\n",
        api.prelude(),
        api.address
    );
    python_in_gateway(lab, &code, &body.to_string())
}

#[test]
fn onboarded_things_get_their_declared_flows_and_nothing_else() {
    if !available() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().expect("temp dir");
    let ward = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_ward"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("ward runs");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    ward(&["keygen", "-o", "k"]);
    let policy = root.join("tests/fixtures/netns");
    ward(&[
        "build",
        &policy.to_string_lossy(),
        "-o",
        "b",
        "--sign",
        "k",
        "--sequence",
        "1",
    ]);

    let lab = Lab::new();
    assert!(
        reaches(&lab, "beta", "alpha", "10.91.1.2", "tcp", 8080),
        "the lab routes"
    );
    let ns = lab.ns("gw");
    // The gateway's own address (lab_gw in the policy), where things send PAVA's reports.
    lab.exec_ok("gw", &["ip", "addr", "add", "10.91.0.1/32", "dev", "lo"]);
    // The API is served over TLS: it listens on an address the things reach.
    let ca = pki::ca(dir.path(), "ca", "lab CA");
    let server = pki::leaf(&ca, dir.path(), "gw", "lab-gw", &["10.91.0.1"], None);
    let (cert, key) = (
        server.cert.display().to_string(),
        server.key.display().to_string(),
    );
    let gateway = gateway_client::start_in(
        &["ip", "netns", "exec", &ns],
        dir.path(),
        &[
            "--bundle",
            "b/bundle.cbor",
            "--key",
            "k.pub",
            "--state",
            "state.sqlite",
            "--apply-firewall",
            "--syslog-tcp",
            "10.91.0.1:6514",
            // The API where the policy's flow `beta -> lab_gw : tcp/7443` reaches it.
            "--listen",
            "10.91.0.1:7443",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    )
    .unwrap_or_else(|e| panic!("the gateway starts in the namespace: {e}"));
    let api = Api {
        address: gateway.address,
        ca: &ca.pem,
        token: &gateway.token,
    };

    // No thing is onboarded: even the declared flow is dropped.
    assert!(
        !reaches(&lab, "beta", "alpha", "10.91.1.2", "tcp", 8080),
        "a flow between things that are not onboarded must be dropped"
    );

    for (id, class, address) in [("a1", "alpha", "10.91.1.2"), ("b1", "beta", "10.91.2.2")] {
        let request = serde_json::json!({ "id": id, "address": address, "mud": lab_mud(class) });
        let (status, body) = onboard_in(&lab, &api, &request);
        assert_eq!(status, 201, "{id}: {body}");
        assert!(
            body.contains("\"applied\":true"),
            "{id}: the ruleset is loaded: {body}"
        );
    }

    // The declared flow between the onboarded things passes.
    assert!(
        reaches(&lab, "beta", "alpha", "10.91.1.2", "tcp", 8080),
        "beta -> alpha tcp/8080 is declared and both are onboarded"
    );
    // An undeclared port between them is dropped.
    assert!(
        !reaches(&lab, "beta", "alpha", "10.91.1.2", "tcp", 8081),
        "undeclared port must be dropped"
    );
    // gamma -> alpha udp/9000 is declared, but no gamma thing is onboarded: dropped.
    assert!(
        !reaches(&lab, "gamma", "alpha", "10.91.1.2", "udp", 9000),
        "a thing that is not onboarded gets no flow"
    );

    // With the ruleset applied on the gateway, an onboarded thing's PAVA report still
    // arrives (the input chain admits syslog of the things the gateway manages, on the port
    // their configuration names), and the API still answers.
    let report = "import socket\n\
        m=b'<38>1 2026-11-25T10:00:00Z a1 sshd 7 - - Failed password for root from 203.0.113.9 port 2 ssh2'\n\
        s=socket.create_connection(('10.91.0.1',6514),timeout=5)\n\
        s.sendall(str(len(m)).encode()+b' '+m)\n\
        s.close()\n";
    lab.exec_ok("alpha", &["python3", "-c", report]);
    let mut received = 0;
    for _ in 0..50 {
        let (status, body) = get_in(&lab, &api, "/v1/pava");
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = body
            .lines()
            .nth(1)
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_default();
        received = json["received"].as_u64().unwrap_or(0);
        if received > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        received >= 1,
        "the thing's report did not reach the gateway"
    );
    // The API answers the client the policy declares (beta's onboarded thing) through the
    // input chain, and no other thing.
    let api_from = |ns: &str| {
        let code = format!(
            "{}try:\n  print(urllib.request.urlopen(urllib.request.Request('https://10.91.0.1:7443/v1/pava',headers=H),timeout=3,context=ctx).status)\n\
            except Exception as e:\n  print('unreachable', e)\n",
            api.prelude()
        );
        let output = lab.exec(ns, &["python3", "-c", &code]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let from_beta = api_from("beta");
    assert!(from_beta.trim() == "200", "beta's API call: {from_beta}");
    let from_alpha = api_from("alpha");
    assert!(
        from_alpha.contains("unreachable"),
        "alpha has no declared flow to the API: {from_alpha}"
    );
    // Other ports of the gateway stay closed to the things.
    assert!(
        !reaches(&lab, "alpha", "gw", "10.91.0.1", "tcp", 2222),
        "only what the gateway serves reaches it"
    );
    // The gateway reaches a thing only by a declared flow: none goes from lab_gw to beta.
    assert!(
        !reaches(&lab, "gw", "beta", "10.91.2.2", "tcp", 8080),
        "the gateway's own traffic to a thing is dropped without a declared flow"
    );
    drop(gateway);
}

/// The rule of `chain` in the gateway that holds every one of `parts` counted packets.
fn assert_counted(lab: &Lab, chain: &str, parts: &[&str]) {
    let listing = lab.exec("gw", &["nft", "list", "chain", "inet", "ward", chain]);
    let listing = String::from_utf8_lossy(&listing.stdout);
    let rule = listing
        .lines()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| panic!("no rule with {parts:?} in {listing}"));
    assert!(
        !rule.contains("packets 0 "),
        "the rule counted nothing: {rule}"
    );
}

/// A copy of a ruleset (beside it) without the rules that contain `marker`: the control of a
/// test that shows what those rules do.
fn without_rules(ruleset: &Path, marker: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(ruleset).expect("ruleset");
    let stripped: String = text
        .lines()
        .filter(|l| !l.contains(marker))
        .map(|l| format!("{l}\n"))
        .collect();
    let without = ruleset.with_extension("without.nft");
    std::fs::write(&without, stripped).expect("write");
    without
}

/// Builds a policy written here and returns its ruleset's path (in `dir`).
fn ruleset_of(dir: &Path, name: &str, policy: &str) -> std::path::PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).expect("policy folder");
    std::fs::write(folder.join("p.ward"), policy).expect("write policy");
    let built = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["build", ".", "-o", "bundle"])
        .current_dir(&folder)
        .output()
        .expect("ward build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    folder.join("bundle/firewall/ruleset.nft")
}

/// IPv6 needs neighbour discovery with the gateway, whose input and output chains drop by
/// default what no flow names: the ruleset admits it on the link, and a declared IPv6 flow
/// crosses the gateway (before, no IPv6 packet did).
#[test]
fn ipv6_flows_cross_the_gateway_ruleset() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ruleset = ruleset_of(
        dir.path(),
        "v6",
        r#"
gateway lab_gw { address = fd00:91:1::1 }
class sensor {
  function = sensing
  profile = SecProf_1
  capabilities = [x509, tls, second_factor]
}
segment sensors { classes = [sensor], subnet = fd00:91:1::/64, gateway = lab_gw }
service collector { address = fd00:91:2::2, profile = SecProf_1 }
flow sensor -> collector : tcp/8080
"#,
    );
    let lab = Lab::new();
    for (n, host) in [(1, "alpha"), (2, "beta")] {
        let outer = format!("{}g{n}", lab.prefix);
        let inner = format!("{}h{n}", lab.prefix);
        let gw = format!("fd00:91:{n}::1");
        lab.exec_ok(
            "gw",
            &[
                "ip",
                "-6",
                "addr",
                "add",
                &format!("{gw}/64"),
                "dev",
                &outer,
                "nodad",
            ],
        );
        let own = format!("fd00:91:{n}::2/64");
        lab.exec_ok(
            host,
            &["ip", "-6", "addr", "add", &own, "dev", &inner, "nodad"],
        );
        lab.exec_ok(host, &["ip", "-6", "route", "add", "default", "via", &gw]);
    }
    lab.exec_ok("gw", &["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"]);
    lab.settle_ipv6();
    lab.exec_ok("gw", &["nft", "-f", ruleset.to_str().expect("path")]);
    assert!(
        reaches(&lab, "alpha", "beta", "fd00:91:2::2", "tcp", 8080),
        "sensor -> collector tcp/8080 is declared, over IPv6"
    );
    assert!(
        !reaches(&lab, "alpha", "beta", "fd00:91:2::2", "tcp", 8081),
        "an undeclared port stays closed"
    );
    // The control: without the neighbour discovery rules (and with the neighbours forgotten),
    // the declared flow no longer passes.
    let without = without_rules(&ruleset, "nd-neighbor-solicit");
    lab.exec_ok("gw", &["nft", "-f", without.to_str().expect("path")]);
    for ns in ["gw", "alpha", "beta"] {
        lab.exec_ok(ns, &["ip", "-6", "neigh", "flush", "all"]);
    }
    assert!(
        !reaches(&lab, "alpha", "beta", "fd00:91:2::2", "tcp", 8080),
        "without neighbour discovery no IPv6 packet crosses (the test's control)"
    );
}

/// A time-limited flow (`until`) passes before its end and is dropped after it, by the
/// kernel's clock in the emitted rule (`meta time < END`), with no rebuild.
#[test]
fn a_time_limited_flow_closes_by_itself() {
    if !available() {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    // Long enough for the build and the lab on a loaded machine, short for the test.
    let end = now + 20;
    let dir = tempfile::tempdir().expect("temp dir");
    let ruleset = ruleset_of(
        dir.path(),
        "until",
        &format!(
            r#"
gateway lab_gw {{ address = 10.91.1.1 }}
class sensor {{
  function = sensing
  profile = SecProf_1
  capabilities = [x509, tls, second_factor]
}}
segment sensors {{ classes = [sensor], subnet = 10.91.1.0/24, gateway = lab_gw }}
service collector {{ address = 10.91.2.2, profile = SecProf_1 }}
flow sensor -> collector : tcp/8080 {{ until = {} }}
"#,
            ward_lang::Timestamp::at(end)
        ),
    );
    let text = std::fs::read_to_string(&ruleset).expect("ruleset");
    assert!(
        text.contains(&format!("meta time < {end} accept")),
        "the flow's rule carries its end: {text}"
    );
    let lab = Lab::new();
    lab.exec_ok("gw", &["nft", "-f", ruleset.to_str().expect("path")]);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(
        before + 6 < end,
        "the lab took too long to set up to test before the end ({} s left)",
        end - before
    );
    assert!(
        reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 8080),
        "before its end the flow passes"
    );
    let wait = end + 1
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
    if wait > 0 {
        std::thread::sleep(std::time::Duration::from_secs(wait as u64));
    }
    assert!(
        !reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 8080),
        "after its end the same connection is dropped, by the same ruleset"
    );
}

/// `internet` is what is none of the policy's: in the kernel, a flow to it reaches a host
/// outside the policy's addresses (`gamma`) and not a thing of the same level at home
/// (`beta`), and a flow from it admits the outside host and not the policy's own things.
#[test]
fn a_flow_to_the_internet_stays_out_of_the_policys_own_addresses() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ruleset = ruleset_of(
        dir.path(),
        "internet",
        r#"
gateway lab_gw { address = 10.91.1.1 }
class sensor {
  function = sensing
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
class display {
  function = monitoring
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
segment sensors { classes = [sensor], subnet = 10.91.1.0/24, gateway = lab_gw }
segment displays { classes = [display], subnet = 10.91.2.0/24, gateway = lab_gw }
flow sensor -> internet : tcp/8080 { via = lab_gw }
flow internet -> display : tcp/9090 { via = lab_gw, because = "the vendor's remote display service" }
"#,
    );
    let text = std::fs::read_to_string(&ruleset).expect("ruleset");
    assert!(text.contains("ip daddr != @o4_policy"), "{text}");
    let lab = Lab::new();
    lab.exec_ok("gw", &["nft", "-f", ruleset.to_str().expect("path")]);
    assert!(
        reaches(&lab, "alpha", "gamma", "10.91.3.2", "tcp", 8080),
        "the sensor reaches the outside world"
    );
    assert!(
        !reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 8080),
        "the sensor's flow to the internet does not reach a display at home"
    );
    assert!(
        reaches(&lab, "gamma", "beta", "10.91.2.2", "tcp", 9090),
        "the outside world reaches the display"
    );
    assert!(
        !reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 9090),
        "a sensor at home is not the internet"
    );
}

/// A gateway that serves DHCP to its things (a flow to it on udp/67) answers a thing that
/// holds no address yet: dnsmasq on the gateway, busybox's udhcpc on the thing. Its
/// discovery comes from 0.0.0.0, which the flow's rule and the reverse-path check would drop.
#[test]
fn dhcp_leases_pass_the_gateway_ruleset_when_a_flow_declares_it() {
    if !available() {
        return;
    }
    let tools = ["dnsmasq", "busybox"]
        .iter()
        .all(|t| Command::new(t).arg("--help").output().is_ok());
    if !tools {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the DHCP test: dnsmasq and busybox are installed by .ci/run"
        );
        eprintln!("SKIPPED: the DHCP namespace test needs dnsmasq and busybox (CI runs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = |flow: &str| {
        format!(
            "gateway lab_gw {{ address = 10.91.1.1 }}\n\
             class sensor {{\n  function = sensing\n  profile = SecProf_1\n  capabilities = [x509, tls, second_factor]\n}}\n\
             segment sensors {{ classes = [sensor], subnet = 10.91.1.0/24, gateway = lab_gw }}\n{flow}\n"
        )
    };
    let with_dhcp = ruleset_of(
        dir.path(),
        "dhcp",
        &policy("flow sensor -> lab_gw : udp/67 { action = dhcp }"),
    );
    let without_dhcp = ruleset_of(dir.path(), "dns", &policy("flow sensor -> lab_gw : udp/53"));
    let lab = Lab::new();
    let outer = format!("{}g1", lab.prefix);
    let inner = format!("{}h1", lab.prefix);
    // The thing starts without an address, as a new thing does.
    lab.exec_ok("alpha", &["ip", "-4", "addr", "flush", "dev", &inner]);
    let leases = dir.path().join("leases");
    let mut server = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.ns("gw"),
            "dnsmasq",
            "--no-daemon",
            "--port=0",
        ])
        .arg(format!("--interface={outer}"))
        .args([
            "--bind-interfaces",
            "--dhcp-range=10.91.1.100,10.91.1.150,1h",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=/dev/null",
            "--user=root",
        ])
        .arg(format!("--dhcp-leasefile={}", leases.display()))
        .arg(format!("--pid-file={}", dir.path().join("pid").display()))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dnsmasq starts");
    let lease = |ruleset: &Path| {
        lab.exec_ok("gw", &["nft", "-f", ruleset.to_str().expect("path")]);
        let output = lab.exec(
            "alpha",
            &[
                "timeout",
                "20",
                "busybox",
                "udhcpc",
                "-i",
                &inner,
                "-n",
                "-q",
                "-f",
                "-t",
                "3",
                "-T",
                "1",
                "-s",
                "/bin/true",
            ],
        );
        let text = String::from_utf8_lossy(&output.stderr).to_string()
            + &String::from_utf8_lossy(&output.stdout);
        (output.status.success(), text)
    };
    // The control first: a policy whose flows to the gateway do not carry DHCP gets no lease.
    let (leased, text) = lease(&without_dhcp);
    assert!(!leased, "no flow carries DHCP, yet a lease: {text}");
    let (leased, text) = lease(&with_dhcp);
    let _ = server.kill();
    let _ = server.wait();
    assert!(leased, "the declared DHCP flow got no lease: {text}");
    assert!(text.contains("lease of 10.91.1."), "{text}");
}

/// A source flooding PAVA's UDP port is held to its share in the kernel, before the socket:
/// its datagrams beyond 2,000 a second (bursts of 4,000) are dropped by the ruleset's meter,
/// while another thing's reports all arrive. Without the meter (the control) the flood
/// passes whole.
#[test]
fn a_syslog_flood_is_held_to_its_share_before_the_socket() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // Classes that cannot do TLS report over UDP (514).
    let ruleset = ruleset_of(
        dir.path(),
        "flood",
        r#"
gateway lab_gw { address = 10.91.1.1 }
class noisy { function = sensing }
class quiet { function = sensing }
segment noisy_net { classes = [noisy], subnet = 10.91.1.0/24, gateway = lab_gw }
segment quiet_net { classes = [quiet], subnet = 10.91.3.0/24, gateway = lab_gw }
"#,
    );
    let lab = Lab::new();
    let flood = |ruleset: &Path| -> (u64, u64) {
        lab.exec_ok("gw", &["nft", "-f", ruleset.to_str().expect("path")]);
        // The gateway's listener counts datagrams per source for 4 s.
        let server_code = "import socket,time,collections\n\
             s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
             s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,64*1024*1024)\n\
             s.bind(('0.0.0.0',514))\ns.settimeout(0.2)\nprint('ready',flush=True)\n\
             seen=collections.Counter()\nend=time.time()+4\n\
             while time.time()<end:\n  try:\n    seen[s.recvfrom(2048)[1][0]]+=1\n  except OSError:\n    pass\n\
             print(seen['10.91.1.2'],seen['10.91.3.2'],flush=True)\n";
        let mut server = Command::new("ip")
            .args(["netns", "exec", &lab.ns("gw"), "python3", "-c", server_code])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("listener starts");
        let stdout = server.stdout.take().expect("output");
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("ready"));
        let mut noisy = Command::new("ip")
            .args(["netns", "exec", &lab.ns("alpha"), "python3", "-c"])
            .arg(
                "import socket\nc=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
                 m=b'<38>1 - noisy app - - - flood'\n\
                 for _ in range(30000):\n  c.sendto(m,('10.91.1.1',514))\n",
            )
            .spawn()
            .expect("flood starts");
        lab.exec_ok(
            "gamma",
            &[
                "python3",
                "-c",
                "import socket,time\nc=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
                 for n in range(50):\n  c.sendto(b'<38>1 - quiet app - - - report %d' % n,('10.91.1.1',514))\n  time.sleep(0.02)\n",
            ],
        );
        let _ = noisy.wait();
        let counts = lines.next().and_then(Result::ok).expect("counts");
        let _ = server.wait();
        let mut parts = counts.split_whitespace().map(|n| n.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    };
    let (noisy, quiet) = flood(&ruleset);
    eprintln!(
        "with the meter: {noisy} of the flood's 30,000 datagrams and {quiet} of 50 reports arrived"
    );
    assert_eq!(quiet, 50, "every report of the quiet thing arrives");
    assert!(
        noisy <= 4_000 + 2_000 * 4 + 500,
        "the flood is held to its share: {noisy} of 30,000 arrived"
    );
    assert_counted(&lab, "input", &["udp dport 514", "@pava_udp514_4"]);

    // The control: without the meter the same flood passes (far beyond the share).
    let without = without_rules(&ruleset, "limit rate over");
    let (noisy, _) = flood(&without);
    eprintln!("without the meter: {noisy} of 30,000 arrived");
    assert!(
        noisy > 20_000,
        "without the meter the flood passes: {noisy}"
    );
}

/// A small deterministic generator (xorshift): the differential test's rulesets and packets
/// are reproducible from their seed.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A ruleset of the emitted subset over the lab's three hosts: sets of addresses and
/// networks, a lower-to-higher drop, accepts by source set, destination set, protocol and port
/// range, in the order and shape `ward build` writes them.
fn random_ruleset(draw: &mut Draw) -> String {
    let hosts = ["10.91.1.2", "10.91.2.2", "10.91.3.2"];
    let networks = ["10.91.1.0/24", "10.91.2.0/24", "10.91.3.0/24"];
    let mut sets = String::new();
    for n in 0..4 {
        let mut elements = Vec::new();
        for h in 0..3 {
            match draw.below(3) {
                0 => elements.push(hosts[h]),
                1 => elements.push(networks[h]),
                _ => {}
            }
        }
        let elements = if elements.is_empty() {
            String::new()
        } else {
            format!("    elements = {{ {} }}\n", elements.join(", "))
        };
        sets.push_str(&format!(
            "  set e4_s{n} {{\n    type ipv4_addr\n    flags interval\n{elements}  }}\n\n"
        ));
    }
    let mut rules = Vec::new();
    if draw.below(2) == 0 {
        rules.push(format!(
            "ip saddr @e4_s{} ip daddr @e4_s{} counter drop comment \"lower to higher\"",
            draw.below(4),
            draw.below(4)
        ));
    }
    for n in 0..(2 + draw.below(4)) {
        let protocol = ["tcp", "udp"][draw.below(2) as usize];
        let low = 8000 + draw.below(4) as u16;
        let high = low + draw.below(3) as u16;
        let ports = match draw.below(3) {
            0 => format!("{protocol} dport {low} "),
            1 => format!("{protocol} dport {low}-{high} "),
            _ => format!("meta l4proto {protocol} "),
        };
        let verdict = if draw.below(5) == 0 { "drop" } else { "accept" };
        // `internet`'s guard: an address in no set of the policy's (`!= @o4_policy`).
        let (source, destination) = (draw.below(4), draw.below(4));
        let guard = match draw.below(4) {
            0 => format!("ip daddr != @e4_s{} ", draw.below(4)),
            1 => format!("ip saddr != @e4_s{} ", draw.below(4)),
            _ => String::new(),
        };
        rules.push(format!(
            "ip saddr @e4_s{source} ip daddr @e4_s{destination} {guard}{ports}{verdict} comment \"rule {n}\""
        ));
    }
    format!(
        "table inet ward\ndelete table inet ward\n\ntable inet ward {{\n{sets}  chain forward {{\n    type filter hook forward priority filter; policy drop;\n    fib saddr . iif oif missing drop\n    ct state established,related accept\n    ct state invalid drop\n    {}\n  }}\n}}\n",
        rules.join("\n    ")
    )
}

/// The nftables evaluator `ward test` decides with against the kernel: random rulesets of the
/// emitted subset and random connections between the lab's hosts, each decided by both.
/// `WARD_NFT_DIFF_CASES=N` for more rulesets (6 connections each).
#[test]
fn the_evaluator_decides_as_the_kernel_does() {
    if !available() {
        return;
    }
    let cases: u64 = std::env::var("WARD_NFT_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().expect("temp dir");
    let lab = Lab::new();
    let hosts = [
        ("alpha", "10.91.1.2"),
        ("beta", "10.91.2.2"),
        ("gamma", "10.91.3.2"),
    ];
    let (mut compared, mut accepted) = (0, 0);
    for case in 0..cases {
        let mut draw = Draw(0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let text = random_ruleset(&mut draw);
        let path = dir.path().join(format!("case{case}.nft"));
        std::fs::write(&path, &text).expect("write");
        lab.exec_ok("gw", &["nft", "-f", path.to_str().expect("path")]);
        let ruleset =
            ward_policy_test::nft_eval::Ruleset::parse(&text).expect("the evaluator reads it");
        for _ in 0..6 {
            let from = draw.below(3) as usize;
            let to = (from + 1 + draw.below(2) as usize) % 3;
            let protocol = ["tcp", "udp"][draw.below(2) as usize];
            let port = 8000 + draw.below(6) as u16;
            let packet = ward_policy_test::nft_eval::Packet {
                source: hosts[from].1.parse().ok(),
                destination: hosts[to].1.parse().ok(),
                source_endpoint: None,
                destination_endpoint: None,
                v6: false,
                protocol: protocol.to_string(),
                port: Some(port),
                time: 0,
            };
            let evaluated = ruleset
                .decide("forward", &packet)
                .expect("a verdict")
                .accepted;
            let kernel = reaches(
                &lab,
                hosts[from].0,
                hosts[to].0,
                hosts[to].1,
                protocol,
                port,
            );
            assert_eq!(
                evaluated, kernel,
                "{} -> {} {protocol}/{port}: the evaluator says {evaluated}, the kernel {kernel}\n{text}",
                hosts[from].0, hosts[to].0
            );
            compared += 1;
            accepted += usize::from(kernel);
        }
    }
    eprintln!(
        "{compared} connections decided alike by the evaluator and the kernel ({accepted} accepted)"
    );
    // Both verdicts are exercised (the seeds are fixed: this holds for every run).
    assert!(
        accepted > 0 && accepted < compared,
        "{accepted} of {compared} accepted"
    );
}

/// The counterexamples of exact review are real connections: the one `ward diff` gives for a
/// widened range passes the new ruleset and is dropped by the old; the one translation
/// validation gives for a ruleset changed by hand (a range one port too wide) is what the
/// kernel does with it, and the unchanged ruleset does what the policy says.
#[test]
fn the_counterexamples_of_exact_review_are_what_the_kernel_does() {
    if !available() {
        return;
    }
    let policy = |ports: &str| {
        format!(
            r#"
gateway lab_gw {{ address = 10.91.1.1 }}
class sensor {{
  function = sensing
  profile = SecProf_1
  capabilities = [x509, tls, second_factor]
}}
segment sensors {{ classes = [sensor], subnet = 10.91.1.0/24, gateway = lab_gw }}
service collector {{ address = 10.91.2.2, profile = SecProf_1 }}
flow sensor -> collector : {ports}
"#
        )
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let old = ruleset_of(dir.path(), "old", &policy("tcp/8080"));
    let new = ruleset_of(dir.path(), "new", &policy("tcp/8080-8081"));
    let diff = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["diff", "old/bundle", "new/bundle", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .expect("ward diff");
    let changes: serde_json::Value = serde_json::from_slice(&diff.stdout).expect("JSON");
    let widened = changes
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["change"] == "widened")
        .unwrap_or_else(|| panic!("no widening in {changes}"));
    let example = &widened["counterexample"];
    assert_eq!(example["destination"], "10.91.2.2", "{example}");
    assert_eq!(example["protocol"], "tcp", "{example}");
    // The source stands for the sensors' segment, where `alpha` (10.91.1.2) is.
    let source: std::net::Ipv4Addr = example["source"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{example}"));
    assert_eq!(source.octets()[..3], [10, 91, 1], "{example}");
    let port = example["port"].as_u64().and_then(|p| u16::try_from(p).ok());
    assert_eq!(port, Some(8081), "{example}");

    let lab = Lab::new();
    let load = |path: &Path| lab.exec_ok("gw", &["nft", "-f", path.to_str().expect("path")]);
    load(&new);
    assert!(
        reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 8081),
        "ward diff's counterexample passes the new ruleset"
    );
    load(&old);
    assert!(
        !reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", 8081),
        "and the old ruleset drops it"
    );

    // Translation validation of the old bundle with its range widened by hand.
    let mut source_policy = ward_compiler::Policy::default();
    source_policy.add_file("p.ward", policy("tcp/8080"));
    let ir = ward_compiler::ir::build_ir(source_policy.db(), source_policy.workspace());
    let bundle = dir.path().join("old/bundle");
    let read = |name: &str| std::fs::read_to_string(bundle.join(name)).expect("bundle file");
    let (ruleset, cedar, schema) = (
        read("firewall/ruleset.nft"),
        read("cedar/policy.cedar"),
        read("cedar/schema.cedarschema"),
    );
    let widened = ruleset.replacen("tcp dport 8080 accept", "tcp dport 8080-8082 accept", 1);
    assert_ne!(widened, ruleset);
    let validation = ward_policy_test::validate::validate(
        &ir,
        &ward_policy_test::validate::Compiled {
            ruleset: &widened,
            cedar_policies: &cedar,
            cedar_schema: &schema,
        },
        source_policy.now(),
    )
    .expect("validates");
    let mismatch = validation
        .mismatches
        .iter()
        .find(|m| m.to.starts_with("10.91.2.2 "))
        .unwrap_or_else(|| panic!("not caught: {:?}", validation.mismatches));
    assert!(
        mismatch.from.starts_with("10.91.1."),
        "{}",
        mismatch.describe()
    );
    let port = mismatch.port.expect("a port");
    let mutated = dir.path().join("widened.nft");
    std::fs::write(&mutated, &widened).expect("write");
    load(&mutated);
    assert_eq!(
        reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", port),
        mismatch.actual,
        "the kernel decides the counterexample as the evaluator did: {}",
        mismatch.describe()
    );
    load(&old);
    assert_eq!(
        reaches(&lab, "alpha", "beta", "10.91.2.2", "tcp", port),
        mismatch.expected,
        "and the built ruleset as the policy says"
    );
}
