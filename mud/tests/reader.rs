//! The MUD reader against every real MUD file of the fixtures (NIST's constructs and the 19
//! UNSW device profiles), field by field for a few, and against broken and draft-era files.

use std::path::{Path, PathBuf};

use ward_mud::*;

fn fixtures(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn read(folder: &str, name: &str) -> MudFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder)
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_mud(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_real_mud_file_parses() {
    let devices = fixtures("nist-unsw-devices");
    let constructs = fixtures("nist-constructs");
    assert_eq!(devices.len(), 19, "the 19 UNSW device profiles");
    assert_eq!(constructs.len(), 14);
    for path in devices.iter().chain(&constructs) {
        let bytes = std::fs::read(path).expect("fixture");
        let mud = parse_mud(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(mud.url.starts_with("https://"), "{}", path.display());
        assert!(
            !mud.from_device.is_empty() || !mud.to_device.is_empty(),
            "{}: no policy",
            path.display()
        );
        let aces: usize = mud.acls.iter().map(|a| a.aces.len()).sum();
        assert!(aces > 0, "{}: no ACE", path.display());
    }
}

#[test]
fn the_tp_link_plug_reads_field_by_field() {
    let mud = read("nist-unsw-devices", "tplinkplugMud.json");
    assert_eq!(mud.url, "https://tplinkplug.com/tplinkplug");
    assert_eq!(mud.authority(), "tplinkplug.com");
    assert_eq!(mud.version, 1);
    assert_eq!(mud.cache_validity, 100);
    assert!(mud.is_supported);
    assert_eq!(mud.systeminfo.as_deref(), Some("tplinkplug"));
    assert_eq!(
        mud.from_device,
        ["from-ipv4-tplinkplug", "from-ethernet-tplinkplug"]
    );
    assert_eq!(mud.to_device, ["to-ipv4-tplinkplug"]);
    // MUDgee's draft-era names are read, and said.
    assert!(
        mud.warnings
            .iter()
            .any(|w| w.path == "/ietf-access-control-list:access-lists")
    );
    assert!(
        mud.warnings
            .iter()
            .any(|w| w.message.contains("eth-acl-type"))
    );

    let from = mud.acl("from-ipv4-tplinkplug").expect("the ACL");
    assert_eq!(from.kind, AclType::Ipv4);
    assert_eq!(from.aces.len(), 14);
    // NTP to a DNS name.
    let ntp = &from.aces[0];
    assert_eq!(ntp.name, "from-ipv4-tplinkplug-0");
    assert_eq!(ntp.forwarding, Forwarding::Accept);
    let ip = ntp.matches.ip.as_ref().expect("an IP match");
    assert_eq!(ip.version, IpVersion::V4);
    assert_eq!(ip.protocol, Some(17));
    assert_eq!(ip.destination_dnsname.as_deref(), Some("ru.pool.ntp.org"));
    assert_eq!(
        ntp.matches.udp.as_ref().and_then(|u| u.destination_port),
        Some(PortRange::single(123))
    );
    // DHCP to the gateway, by controller class.
    let dhcp = &from.aces[1];
    assert_eq!(
        dhcp.matches
            .mud
            .as_ref()
            .and_then(|m| m.controller.as_deref()),
        Some("urn:ietf:params:mud:gateway")
    );
    // The cloud, TCP opened by the thing.
    let cloud = &from.aces[2];
    let tcp = cloud.matches.tcp.as_ref().expect("a TCP match");
    assert_eq!(tcp.direction_initiated, Some(Initiated::FromDevice));
    assert_eq!(tcp.ports.destination_port, Some(PortRange::single(50443)));
    assert_eq!(
        cloud
            .matches
            .ip
            .as_ref()
            .and_then(|i| i.destination_dnsname.as_deref()),
        Some("devs.tplinkcloud.com")
    );
    // DHCP broadcast on the local networks, with an Ethernet match.
    let broadcast = &from.aces[4];
    assert!(
        broadcast
            .matches
            .mud
            .as_ref()
            .is_some_and(|m| m.local_networks)
    );
    assert_eq!(
        broadcast
            .matches
            .ip
            .as_ref()
            .and_then(|i| i.destination_network)
            .map(|n| n.to_string()),
        Some("255.255.255.255/32".to_string())
    );
    let eth = broadcast.matches.eth.as_ref().expect("an Ethernet match");
    assert_eq!(eth.destination_mac.as_deref(), Some("ff:ff:ff:ff:ff:ff"));
    assert_eq!(eth.ethertype, Some(0x0800));
}

#[test]
fn the_nist_constructs_read_their_mud_matches() {
    let mud = read(
        "nist-constructs",
        "mud-local-and-same-mfg-test--mudfile-local-and-same-mfg-test.json",
    );
    assert_eq!(mud.mfg_name.as_deref(), Some("NIST"));
    assert_eq!(mud.model_name.as_deref(), Some("super1"));
    assert_eq!(mud.cache_validity, 48);
    assert!(mud.warnings.is_empty(), "{:?}", mud.warnings);
    let to = mud.acl("mud-58540-v4to").expect("the ACL");
    let https = &to.aces[0];
    assert_eq!(https.name, "cl0-todev");
    let ip = https.matches.ip.as_ref().expect("IP");
    assert_eq!(ip.source_dnsname.as_deref(), Some("www.nist.local"));
    assert_eq!(ip.protocol, Some(6));
    let tcp = https.matches.tcp.as_ref().expect("TCP");
    assert_eq!(tcp.ports.source_port, Some(PortRange::single(443)));
    assert_eq!(tcp.direction_initiated, Some(Initiated::FromDevice));
    let local = &to.aces[1];
    assert!(local.matches.mud.as_ref().is_some_and(|m| m.local_networks));
    assert_eq!(
        local.matches.tcp.as_ref().map(|t| t.direction_initiated),
        Some(Some(Initiated::ToDevice))
    );
    let same = &to.aces[2];
    assert!(
        same.matches
            .mud
            .as_ref()
            .is_some_and(|m| m.same_manufacturer)
    );
    assert!(same.matches.ip.is_none());

    let my = read(
        "nist-constructs",
        "mud-mycontrollerclass-test--mudfile-mycontrollerclass-test.json",
    );
    assert!(my.acls.iter().flat_map(|a| &a.aces).any(|ace| {
        ace.matches.mud.as_ref().is_some_and(|m| m.my_controller)
            && ace.matches.udp.as_ref().and_then(|u| u.source_port) == Some(PortRange::single(8002))
    }));
    let quarantine = read(
        "nist-constructs",
        "mud-quarantine-test--mudfile-quarantine-test.json",
    );
    assert!(
        quarantine
            .warnings
            .iter()
            .any(|w| w.path == "/ietf-mud:mud/nist-mud:quarantined-device-policy")
    );
    let model = read("nist-constructs", "mud-model-test--mudfile-model-test.json");
    assert!(
        model
            .acls
            .iter()
            .flat_map(|a| &a.aces)
            .any(|ace| { ace.matches.mud.as_ref().is_some_and(|m| m.model.is_some()) })
    );
    let mfg = read("nist-constructs", "mud-mfg-test--mudfile-mfg-test.json");
    assert!(mfg.acls.iter().flat_map(|a| &a.aces).any(|ace| {
        ace.matches
            .mud
            .as_ref()
            .is_some_and(|m| m.manufacturer.is_some())
    }));
}

/// A small valid file, to break in one place per test case.
fn base() -> serde_json::Value {
    serde_json::json!({
        "ietf-mud:mud": {
            "mud-version": 1,
            "mud-url": "https://lights.example/bulb",
            "last-update": "2024-01-01T00:00:00+00:00",
            "is-supported": true,
            "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}
        },
        "ietf-access-control-list:acls": {"acl": [{
            "name": "out",
            "type": "ipv4-acl-type",
            "aces": {"ace": [{
                "name": "cloud",
                "matches": {
                    "ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "cloud.lights.example"},
                    "tcp": {"destination-port": {"operator": "eq", "port": 443}}
                },
                "actions": {"forwarding": "accept"}
            }]}
        }]}
    })
}

fn refused(value: &serde_json::Value) -> MudError {
    match parse_mud(&serde_json::to_vec(value).expect("JSON")) {
        Ok(mud) => panic!("accepted: {mud:?}"),
        Err(error) => error,
    }
}

#[test]
fn bad_files_get_a_code_and_the_json_path() {
    assert!(parse_mud(&serde_json::to_vec(&base()).expect("JSON")).is_ok());
    type Breaks = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Breaks, &str, &str)> = vec![
        (
            "draft-era acls inside a device policy",
            Box::new(|v| {
                let policy = &mut v["ietf-mud:mud"]["from-device-policy"];
                *policy = serde_json::json!({"acls": {"access-list": [{"name": "out"}]}});
            }),
            "mud-draft-era",
            "/ietf-mud:mud/from-device-policy/acls",
        ),
        (
            "an unknown ACL type",
            Box::new(|v| {
                v["ietf-access-control-list:acls"]["acl"][0]["type"] = "mpls-acl-type".into()
            }),
            "mud-unknown-acl-type",
            "/ietf-access-control-list:acls/acl/0/type",
        ),
        (
            "a wrong type",
            Box::new(|v| v["ietf-mud:mud"]["mud-version"] = "1".into()),
            "mud-wrong-type",
            "/ietf-mud:mud/mud-version",
        ),
        (
            "a missing URL",
            Box::new(|v| {
                v["ietf-mud:mud"]
                    .as_object_mut()
                    .map(|m| m.remove("mud-url"));
            }),
            "mud-missing",
            "/ietf-mud:mud",
        ),
        (
            "an http URL",
            Box::new(|v| v["ietf-mud:mud"]["mud-url"] = "http://lights.example/bulb".into()),
            "mud-bad-value",
            "/ietf-mud:mud/mud-url",
        ),
        (
            "an unknown match (skipping it would widen access)",
            Box::new(|v| {
                v["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"]["vendor:geo"] =
                    serde_json::json!({"country": "NZ"});
            }),
            "mud-unknown-member",
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/vendor:geo",
        ),
        (
            "a port out of range",
            Box::new(|v| {
                v["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"]["tcp"]
                    ["destination-port"]["port"] = 70000.into();
            }),
            "mud-bad-value",
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/tcp/destination-port/port",
        ),
        (
            "a policy naming an ACL that does not exist",
            Box::new(|v| {
                v["ietf-mud:mud"]["from-device-policy"]["access-lists"]["access-list"][0]["name"] =
                    "elsewhere".into();
            }),
            "mud-dangling-acl",
            "/ietf-mud:mud/from-device-policy",
        ),
        (
            "an IPv6 match in an IPv4 ACL",
            Box::new(|v| {
                let matches =
                    &mut v["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"];
                matches["ipv6"] = matches["ipv4"].take();
                matches.as_object_mut().map(|m| m.remove("ipv4"));
            }),
            "mud-bad-value",
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ipv6",
        ),
        (
            "a DNS name that is not one",
            Box::new(|v| {
                v["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"]["ipv4"]
                    ["ietf-acldns:dst-dnsname"] = "cloud example; drop".into();
            }),
            "mud-bad-value",
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ipv4/ietf-acldns:dst-dnsname",
        ),
    ];
    for (what, break_it, code, path) in cases {
        let mut value = base();
        break_it(&mut value);
        let error = refused(&value);
        assert_eq!(
            (error.code, error.path.as_str()),
            (code, path),
            "{what}: {error}"
        );
        assert!(!error.message.is_empty());
    }
}

#[test]
fn hostile_documents_are_refused_without_crashing() {
    // Not JSON, truncated, empty.
    for bytes in [&b"{"[..], b"", b"\xff\xfe", b"[1,2,3]", b"null"] {
        assert!(parse_mud(bytes).is_err());
    }
    // Nested ten thousand levels deep: an error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        parse_mud(deep.as_bytes()).map_err(|e| e.code),
        Err("mud-not-json")
    );
    // Larger than a MUD file may be.
    let big = vec![b' '; MAX_MUD_BYTES + 1];
    assert_eq!(parse_mud(&big).map_err(|e| e.code), Err("mud-too-large"));
    // Every prefix of a real file: refused, never a panic.
    let real = serde_json::to_vec(&base()).expect("JSON");
    for end in 0..real.len() {
        assert!(parse_mud(&real[..end]).is_err());
    }
}

/// Shapes seen in real files that RFC 8520 does not allow, each read with a warning naming
/// its JSON path, because reading cannot grant more than the file says.
#[test]
fn real_world_shapes_are_read_with_a_warning_at_their_path() {
    // `"local-networks": []` where RFC 8520 writes `[null]`: the member's presence is its
    // meaning.
    let mut local = base();
    local["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"] = serde_json::json!({
        "ietf-mud:mud": {"local-networks": []},
        "ipv4": {"protocol": 6},
        "tcp": {"destination-port": {"operator": "eq", "port": 80}}
    });
    let mud = parse_mud(&serde_json::to_vec(&local).expect("JSON")).expect("read");
    let ace = &mud.acls[0].aces[0];
    assert!(ace.matches.mud.as_ref().is_some_and(|m| m.local_networks));
    assert!(mud.warnings.iter().any(|w| w.path
        == "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ietf-mud:mud/local-networks"
        && w.message.contains("[null]")));
    // Anything else in an empty leaf is still refused.
    let mut wrong = base();
    wrong["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"] =
        serde_json::json!({"ietf-mud:mud": {"local-networks": [1]}});
    assert_eq!(refused(&wrong).code, "mud-wrong-type");

    // A wildcard DNS name: kept as written, warned about; the ACE grants nothing.
    let mut wildcard = base();
    wildcard["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"]["ipv4"]["ietf-acldns:dst-dnsname"] =
        "*.ot.io.mi.com".into();
    let mud = parse_mud(&serde_json::to_vec(&wildcard).expect("JSON")).expect("read");
    assert!(mud.warnings.iter().any(
        |w| w.path.ends_with("/ipv4/ietf-acldns:dst-dnsname") && w.message.contains("wildcard")
    ));
    let flows = ward_mud::flows::mud_flows(&mud);
    assert!(
        flows.iter().all(|f| f.asks.is_err()),
        "a wildcard grants nothing"
    );
    // A star inside a name is still not a DNS name.
    let mut inner = base();
    inner["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"]["ipv4"]["ietf-acldns:dst-dnsname"] =
        "ot.*.mi.com".into();
    assert_eq!(refused(&inner).code, "mud-bad-value");

    // The whole document JSON-encoded inside a string: one level is unwrapped.
    let wrapped = serde_json::Value::String(base().to_string());
    let mud = parse_mud(&serde_json::to_vec(&wrapped).expect("JSON")).expect("read");
    assert_eq!(mud.url, "https://lights.example/bulb");
    assert!(
        mud.warnings
            .iter()
            .any(|w| w.path.is_empty() && w.message.contains("inside a string"))
    );
    let twice = serde_json::Value::String(wrapped.to_string());
    assert_eq!(refused(&twice).code, "mud-wrong-type");
    assert_eq!(
        refused(&serde_json::Value::String("{".into())).code,
        "mud-not-json"
    );
}
