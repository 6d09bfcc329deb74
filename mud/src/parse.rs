//! Reading a MUD file: JSON (RFC 7951 encoding of the YANG modules) into `MudFile`.
//!
//! Strict where being lenient would widen access: inside an ACE, a member ward does not know
//! is an error, never skipped, since skipping a match makes the entry match more traffic.
//! Outside the access lists, members of other modules (`module:name`) are vendor extensions:
//! read past, with a warning. Two draft-era names that real generators still write (MUDgee's
//! `ietf-access-control-list:access-lists` and `ethernet-acl-type`) are read as their RFC
//! names, with a warning; other draft-era names are refused with the RFC's name as the hint.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::error::MudError;
use super::model::*;

/// The largest MUD file read: real ones are tens of kilobytes (the largest of the NIST/UNSW
/// corpus is 70 KB); a megabyte leaves room and bounds what one request can make us parse.
pub const MAX_MUD_BYTES: usize = 1 << 20;

const ACL_MODULE: &str = "ietf-access-control-list";

/// Parses a MUD file.
pub fn parse_mud(bytes: &[u8]) -> Result<MudFile, MudError> {
    if bytes.len() > MAX_MUD_BYTES {
        return Err(MudError::new(
            "mud-too-large",
            "",
            format!(
                "the document has {} bytes; a MUD file may have at most {MAX_MUD_BYTES}",
                bytes.len()
            ),
        ));
    }
    // serde_json refuses nesting deeper than 128 levels, so hostile depth is an error here,
    // not a stack overflow.
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        MudError::new("mud-not-json", "", format!("not JSON: {e}"))
            .hint("a MUD file is a JSON document (RFC 8520 section 2)")
    })?;
    let mut warnings = Vec::new();
    // Some publishers serve the document JSON-encoded inside a string. The string holds the
    // very document, so reading it cannot grant more than the file says: one level is
    // unwrapped, with a warning; a string in a string is refused.
    let value = match value {
        Value::String(inner) => {
            let unwrapped: Value = serde_json::from_str(&inner).map_err(|e| {
                MudError::new(
                    "mud-not-json",
                    "",
                    format!(
                        "the file is a JSON string, and the string is not a JSON document: {e}"
                    ),
                )
                .hint("a MUD file is a JSON object (RFC 8520 section 2)")
            })?;
            if !unwrapped.is_object() {
                return Err(MudError::new(
                    "mud-wrong-type",
                    "",
                    "the file is a JSON string that does not hold a JSON object",
                )
                .hint("a MUD file is a JSON object (RFC 8520 section 2)"));
            }
            warnings.push(MudWarning {
                path: String::new(),
                message:
                    "the document is JSON-encoded inside a string; read as the document it holds"
                        .to_string(),
            });
            unwrapped
        }
        other => other,
    };
    let top = object(&value, "")?;
    let mut mud = None;
    let mut acls = None;
    for (key, member) in top {
        let path = pointer("", key);
        match key.as_str() {
            "ietf-mud:mud" => mud = Some((member, path)),
            "ietf-access-control-list:acls" => acls = Some((member, path)),
            "ietf-access-control-list:access-lists" => {
                warnings.push(MudWarning {
                    path: path.clone(),
                    message: "draft-era name of RFC 8519's `ietf-access-control-list:acls` (written by MUDgee); read as `acls`".to_string(),
                });
                acls = Some((member, path));
            }
            _ => extension(key, &path, &mut warnings)?,
        }
    }
    let (mud, mud_path) = mud.ok_or_else(|| {
        MudError::new("mud-missing", "", "no `ietf-mud:mud` container")
            .hint("a MUD file's top level holds `ietf-mud:mud` and `ietf-access-control-list:acls`")
    })?;
    let acls = match acls {
        Some((value, path)) => parse_acls(value, &path, &mut warnings)?,
        None => Vec::new(),
    };
    let mut file = parse_container(mud, &mud_path, acls, &mut warnings)?;
    for (policy, names) in [
        ("from-device-policy", &file.from_device),
        ("to-device-policy", &file.to_device),
    ] {
        for name in names {
            if file.acls.iter().all(|a| &a.name != name) {
                return Err(MudError::new(
                    "mud-dangling-acl",
                    &format!("{mud_path}/{policy}"),
                    format!("the policy names ACL `{name}`, which the file does not define"),
                )
                .hint("every access-list name must be the name of an ACL under `ietf-access-control-list:acls`"));
            }
        }
    }
    file.warnings = warnings;
    Ok(file)
}

/// A JSON Pointer to `key` under `parent` (RFC 6901 escapes).
fn pointer(parent: &str, key: &str) -> String {
    format!("{parent}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A member no known module defines: a vendor extension when it names its module, else an
/// error.
fn extension(key: &str, path: &str, warnings: &mut Vec<MudWarning>) -> Result<(), MudError> {
    if key.contains(':') {
        warnings.push(MudWarning {
            path: path.to_string(),
            message: format!("extension `{key}` is not enforced by ward"),
        });
        Ok(())
    } else {
        Err(MudError::new(
            "mud-unknown-member",
            path,
            format!("`{key}` is not a member RFC 8520 or RFC 8519 defines here"),
        ))
    }
}

fn type_error(path: &str, expected: &str, found: &Value) -> MudError {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    MudError::new(
        "mud-wrong-type",
        path,
        format!("expected {expected}, found {found}"),
    )
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, MudError> {
    value
        .as_object()
        .ok_or_else(|| type_error(path, "an object", value))
}

fn array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, MudError> {
    value
        .as_array()
        .ok_or_else(|| type_error(path, "an array", value))
}

fn string(value: &Value, path: &str) -> Result<String, MudError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| type_error(path, "a string", value))
}

/// A YANG integer: a JSON number (RFC 7951 also allows 64-bit ones as strings; MUD's are
/// small, so only numbers).
fn integer<T: TryFrom<u64>>(value: &Value, path: &str, what: &str) -> Result<T, MudError> {
    let n = value
        .as_u64()
        .ok_or_else(|| type_error(path, "a non-negative integer", value))?;
    T::try_from(n).map_err(|_| {
        MudError::new(
            "mud-bad-value",
            path,
            format!("{n} is out of range for {what}"),
        )
    })
}

/// A YANG `empty` leaf, encoded `[null]` (RFC 7951 section 6.9).
fn empty(value: &Value, path: &str) -> Result<bool, MudError> {
    match value.as_array().map(Vec::as_slice) {
        Some([Value::Null]) => Ok(true),
        _ => Err(type_error(path, "`[null]` (a YANG empty leaf)", value)),
    }
}

/// A YANG empty leaf in a MUD match: `[null]`, or `[]` as some real files write it. The
/// member's presence is the whole meaning of the leaf, and both spellings say it is present,
/// so `[]` reads the same, with a warning naming the path.
fn present(value: &Value, path: &str, warnings: &mut Vec<MudWarning>) -> Result<bool, MudError> {
    if value.as_array().is_some_and(Vec::is_empty) {
        warnings.push(MudWarning {
            path: path.to_string(),
            message: "`[]` where RFC 8520 writes the empty leaf as `[null]`; read as present"
                .to_string(),
        });
        return Ok(true);
    }
    empty(value, path)
}

/// An identity, with or without its module prefix.
fn identity(value: &Value, path: &str, module: &str) -> Result<String, MudError> {
    let text = string(value, path)?;
    Ok(match text.split_once(':') {
        Some((prefix, name)) if prefix == module => name.to_string(),
        _ => text,
    })
}

fn parse_container(
    mud: &Value,
    path: &str,
    acls: Vec<Acl>,
    warnings: &mut Vec<MudWarning>,
) -> Result<MudFile, MudError> {
    let members = object(mud, path)?;
    let required = |key: &str| {
        members.get(key).ok_or_else(|| {
            MudError::new("mud-missing", path, format!("no `{key}`"))
                .hint("RFC 8520 requires mud-version, mud-url, last-update and is-supported")
        })
    };
    let version_path = pointer(path, "mud-version");
    let version: u8 = integer(required("mud-version")?, &version_path, "mud-version")?;
    if version != 1 {
        return Err(MudError::new(
            "mud-bad-value",
            &version_path,
            format!("mud-version {version}; RFC 8520 defines version 1"),
        ));
    }
    let url_path = pointer(path, "mud-url");
    let url = string(required("mud-url")?, &url_path)?;
    if !url.starts_with("https://") || authority(&url).is_empty() {
        return Err(MudError::new(
            "mud-bad-value",
            &url_path,
            format!("`{url}` is not an https URL"),
        )
        .hint("RFC 8520 section 3.3: MUD URLs use the https scheme"));
    }
    let last_update = string(required("last-update")?, &pointer(path, "last-update"))?;
    let is_supported = required("is-supported")?
        .as_bool()
        .ok_or_else(|| type_error(&pointer(path, "is-supported"), "a boolean", mud))?;
    let mut file = MudFile {
        url,
        version,
        last_update,
        cache_validity: 48,
        is_supported,
        systeminfo: None,
        mfg_name: None,
        model_name: None,
        firmware_rev: None,
        software_rev: None,
        documentation: None,
        signature: None,
        extensions: Vec::new(),
        from_device: Vec::new(),
        to_device: Vec::new(),
        acls,
        warnings: Vec::new(),
    };
    for (key, value) in members {
        let at = pointer(path, key);
        match key.as_str() {
            "mud-version" | "mud-url" | "last-update" | "is-supported" => {}
            "mud-signature" => file.signature = Some(string(value, &at)?),
            "cache-validity" => {
                let hours: u8 = integer(value, &at, "cache-validity")?;
                if !(1..=168).contains(&hours) {
                    return Err(MudError::new(
                        "mud-bad-value",
                        &at,
                        format!("cache-validity {hours}; RFC 8520 allows 1 to 168 hours"),
                    ));
                }
                file.cache_validity = hours;
            }
            "systeminfo" => file.systeminfo = Some(string(value, &at)?),
            "mfg-name" => file.mfg_name = Some(string(value, &at)?),
            "model-name" => file.model_name = Some(string(value, &at)?),
            "firmware-rev" => file.firmware_rev = Some(string(value, &at)?),
            "software-rev" => file.software_rev = Some(string(value, &at)?),
            "documentation" => file.documentation = Some(string(value, &at)?),
            "extensions" => {
                for (i, item) in array(value, &at)?.iter().enumerate() {
                    file.extensions.push(string(item, &format!("{at}/{i}"))?);
                }
            }
            "from-device-policy" => file.from_device = policy_acls(value, &at)?,
            "to-device-policy" => file.to_device = policy_acls(value, &at)?,
            "meta-info" => {
                return Err(MudError::new(
                    "mud-draft-era",
                    &at,
                    "`meta-info` is from a draft of RFC 8520",
                )
                .hint("RFC 8520 puts last-update, cache-validity and the rest directly in `ietf-mud:mud`"));
            }
            _ => extension(key, &at, warnings)?,
        }
    }
    Ok(file)
}

/// `from-device-policy` / `to-device-policy`: `{"access-lists": {"access-list": [{"name"}]}}`.
fn policy_acls(value: &Value, path: &str) -> Result<Vec<String>, MudError> {
    let members = object(value, path)?;
    let mut names = Vec::new();
    for (key, value) in members {
        let at = pointer(path, key);
        match key.as_str() {
            "access-lists" => {
                for (inner_key, inner) in object(value, &at)? {
                    let list_at = pointer(&at, inner_key);
                    if inner_key != "access-list" {
                        return Err(MudError::new(
                            "mud-unknown-member",
                            &list_at,
                            format!("`{inner_key}` is not a member of `access-lists`"),
                        )
                        .hint("the list is `access-list`, of entries `{\"name\": ...}`"));
                    }
                    for (i, entry) in array(inner, &list_at)?.iter().enumerate() {
                        let entry_at = format!("{list_at}/{i}");
                        let name = object(entry, &entry_at)?
                            .get("name")
                            .ok_or_else(|| MudError::new("mud-missing", &entry_at, "no `name`"))?;
                        names.push(string(name, &pointer(&entry_at, "name"))?);
                    }
                }
            }
            "acls" => {
                return Err(MudError::new(
                    "mud-draft-era",
                    &at,
                    "`acls` here is from a draft of RFC 8520",
                )
                .hint("RFC 8520's policies hold `access-lists` (with a list `access-list`); `acls` is the top-level container of RFC 8519"));
            }
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not a member of a device policy"),
                )
                .hint("a device policy holds `access-lists`"));
            }
        }
    }
    Ok(names)
}

fn parse_acls(
    value: &Value,
    path: &str,
    warnings: &mut Vec<MudWarning>,
) -> Result<Vec<Acl>, MudError> {
    let mut acls = Vec::new();
    for (key, list) in object(value, path)? {
        let at = pointer(path, key);
        if key != "acl" {
            return Err(MudError::new(
                "mud-unknown-member",
                &at,
                format!("`{key}` is not a member of the ACL container"),
            )
            .hint("the container holds the list `acl`"));
        }
        for (i, acl) in array(list, &at)?.iter().enumerate() {
            acls.push(parse_acl(acl, &format!("{at}/{i}"), warnings)?);
        }
    }
    Ok(acls)
}

fn parse_acl(value: &Value, path: &str, warnings: &mut Vec<MudWarning>) -> Result<Acl, MudError> {
    let members = object(value, path)?;
    let name = string(
        members
            .get("name")
            .ok_or_else(|| MudError::new("mud-missing", path, "the ACL has no `name`"))?,
        &pointer(path, "name"),
    )?;
    let type_at = pointer(path, "type");
    let kind = match members.get("type") {
        None => AclType::Mixed,
        Some(value) => match identity(value, &type_at, ACL_MODULE)?.as_str() {
            "ipv4-acl-type" => AclType::Ipv4,
            "ipv6-acl-type" => AclType::Ipv6,
            "eth-acl-type" => AclType::Eth,
            "ethernet-acl-type" => {
                warnings.push(MudWarning {
                    path: type_at.clone(),
                    message: "draft-era name of RFC 8519's `eth-acl-type` (written by MUDgee); read as `eth-acl-type`".to_string(),
                });
                AclType::Eth
            }
            "mixed-eth-ipv4-acl-type"
            | "mixed-eth-ipv6-acl-type"
            | "mixed-eth-ipv4-ipv6-acl-type" => AclType::Mixed,
            other => {
                return Err(MudError::new(
                    "mud-unknown-acl-type",
                    &type_at,
                    format!("unknown ACL type `{other}`"),
                )
                .hint("RFC 8519 defines ipv4-acl-type, ipv6-acl-type, eth-acl-type and the mixed types"));
            }
        },
    };
    let mut aces = Vec::new();
    for (key, value) in members {
        let at = pointer(path, key);
        match key.as_str() {
            "name" | "type" => {}
            "aces" => {
                for (inner_key, list) in object(value, &at)? {
                    let list_at = pointer(&at, inner_key);
                    if inner_key != "ace" {
                        return Err(MudError::new(
                            "mud-unknown-member",
                            &list_at,
                            format!("`{inner_key}` is not a member of `aces`"),
                        )
                        .hint("`aces` holds the list `ace`"));
                    }
                    for (i, ace) in array(list, &list_at)?.iter().enumerate() {
                        aces.push(parse_ace(ace, &format!("{list_at}/{i}"), kind, warnings)?);
                    }
                }
            }
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not a member of an ACL"),
                ));
            }
        }
    }
    Ok(Acl { name, kind, aces })
}

fn parse_ace(
    value: &Value,
    path: &str,
    kind: AclType,
    warnings: &mut Vec<MudWarning>,
) -> Result<Ace, MudError> {
    let members = object(value, path)?;
    let name = string(
        members
            .get("name")
            .ok_or_else(|| MudError::new("mud-missing", path, "the ACE has no `name`"))?,
        &pointer(path, "name"),
    )?;
    let mut matches = Matches::default();
    let mut forwarding = None;
    for (key, value) in members {
        let at = pointer(path, key);
        match key.as_str() {
            "name" => {}
            "matches" => matches = parse_matches(value, &at, kind, warnings)?,
            "actions" => {
                for (action, value) in object(value, &at)? {
                    let action_at = pointer(&at, action);
                    match action.as_str() {
                        "forwarding" => {
                            forwarding =
                                Some(match identity(value, &action_at, ACL_MODULE)?.as_str() {
                                    "accept" => Forwarding::Accept,
                                    "drop" => Forwarding::Drop,
                                    "reject" => Forwarding::Reject,
                                    other => {
                                        return Err(MudError::new(
                                            "mud-bad-value",
                                            &action_at,
                                            format!("unknown forwarding action `{other}`"),
                                        )
                                        .hint("RFC 8519: accept, drop or reject"));
                                    }
                                });
                        }
                        // Logging changes nothing about what passes.
                        "logging" => {}
                        _ => {
                            return Err(MudError::new(
                                "mud-unknown-member",
                                &action_at,
                                format!("`{action}` is not an action ward knows"),
                            ));
                        }
                    }
                }
            }
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not a member of an ACE"),
                ));
            }
        }
    }
    let forwarding = forwarding
        .ok_or_else(|| MudError::new("mud-missing", path, "the ACE has no `actions/forwarding`"))?;
    Ok(Ace {
        name,
        matches,
        forwarding,
    })
}

fn parse_matches(
    value: &Value,
    path: &str,
    kind: AclType,
    warnings: &mut Vec<MudWarning>,
) -> Result<Matches, MudError> {
    let mut matches = Matches::default();
    for (key, value) in object(value, path)? {
        let at = pointer(path, key);
        let wrong_type = |what: &str| {
            MudError::new(
                "mud-bad-value",
                &at,
                format!("{what} matches in an ACL of type {kind:?}"),
            )
        };
        match key.as_str() {
            "ietf-mud:mud" => matches.mud = Some(parse_mud_match(value, &at, warnings)?),
            "ipv4" | "ipv6" => {
                let version = if key == "ipv4" {
                    IpVersion::V4
                } else {
                    IpVersion::V6
                };
                let allowed = match kind {
                    AclType::Ipv4 => version == IpVersion::V4,
                    AclType::Ipv6 => version == IpVersion::V6,
                    AclType::Eth => false,
                    AclType::Mixed => true,
                };
                if !allowed {
                    return Err(wrong_type(key));
                }
                matches.ip = Some(parse_ip(value, &at, version, warnings)?);
            }
            "tcp" => matches.tcp = Some(parse_tcp(value, &at)?),
            "udp" => matches.udp = Some(parse_ports(value, &at, &[])?),
            "icmp" => matches.icmp = Some(parse_icmp(value, &at)?),
            "eth" => matches.eth = Some(parse_eth(value, &at)?),
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not a match ward knows"),
                )
                .hint("ward refuses matches it cannot enforce rather than skip them: a skipped match would let more traffic through"));
            }
        }
    }
    Ok(matches)
}

/// A member that RFC 8519 defines but ward does not enforce.
fn unsupported(key: &str, at: &str) -> MudError {
    MudError::new(
        "mud-unsupported",
        at,
        format!("ward does not enforce `{key}` matches"),
    )
    .hint("MUD files rarely use it; write the flow in the policy instead")
}

fn parse_mud_match(
    value: &Value,
    path: &str,
    warnings: &mut Vec<MudWarning>,
) -> Result<MudMatch, MudError> {
    let mut m = MudMatch::default();
    for (key, value) in object(value, path)? {
        let at = pointer(path, key);
        match key.as_str() {
            "manufacturer" => m.manufacturer = Some(string(value, &at)?),
            "same-manufacturer" => m.same_manufacturer = present(value, &at, warnings)?,
            "model" => m.model = Some(string(value, &at)?),
            "local-networks" => m.local_networks = present(value, &at, warnings)?,
            "controller" => m.controller = Some(string(value, &at)?),
            "my-controller" => m.my_controller = present(value, &at, warnings)?,
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not a MUD match"),
                )
                .hint("RFC 8520 section 2.2: manufacturer, same-manufacturer, model, local-networks, controller, my-controller"));
            }
        }
    }
    Ok(m)
}

/// An `inet:ipv4-prefix` / `ipv6-prefix`. MUDgee writes bare addresses where a prefix is
/// due; they can mean only the host, so they are read as /32 or /128, with a warning.
fn parse_network(
    value: &Value,
    at: &str,
    version: IpVersion,
    warnings: &mut Vec<MudWarning>,
) -> Result<Network, MudError> {
    let text = string(value, at)?;
    let family = match version {
        IpVersion::V4 => "IPv4",
        IpVersion::V6 => "IPv6",
    };
    let bad = || {
        MudError::new(
            "mud-bad-value",
            at,
            format!("`{text}` is not an {family} prefix (address/length)"),
        )
    };
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text.as_str(), None),
    };
    let address: IpAddr = address.parse().map_err(|_| bad())?;
    let full = if address.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = match prefix {
        Some(prefix) => prefix.parse().map_err(|_| bad())?,
        None => {
            warnings.push(MudWarning {
                path: at.to_string(),
                message: format!("`{text}` has no prefix length; read as `{text}/{full}`"),
            });
            full
        }
    };
    let fits = matches!(
        (address, version),
        (IpAddr::V4(_), IpVersion::V4) | (IpAddr::V6(_), IpVersion::V6)
    ) && prefix <= full;
    if !fits {
        return Err(bad());
    }
    Ok(Network { address, prefix })
}

fn parse_ip(
    value: &Value,
    path: &str,
    version: IpVersion,
    warnings: &mut Vec<MudWarning>,
) -> Result<IpMatch, MudError> {
    let mut ip = IpMatch {
        version,
        protocol: None,
        source_network: None,
        destination_network: None,
        source_dnsname: None,
        destination_dnsname: None,
    };
    let (src, dst) = match version {
        IpVersion::V4 => ("source-ipv4-network", "destination-ipv4-network"),
        IpVersion::V6 => ("source-ipv6-network", "destination-ipv6-network"),
    };
    for (key, value) in object(value, path)? {
        let at = pointer(path, key);
        match key.as_str() {
            "protocol" => ip.protocol = Some(integer(value, &at, "an IP protocol number")?),
            k if k == src => {
                ip.source_network = Some(parse_network(value, &at, version, warnings)?)
            }
            k if k == dst => {
                ip.destination_network = Some(parse_network(value, &at, version, warnings)?);
            }
            "ietf-acldns:src-dnsname" => ip.source_dnsname = Some(dns_name(value, &at, warnings)?),
            "ietf-acldns:dst-dnsname" => {
                ip.destination_dnsname = Some(dns_name(value, &at, warnings)?)
            }
            "dscp" | "ecn" | "length" | "ttl" | "ihl" | "flags" | "offset" | "identification"
            | "next-header" | "hop-limit" | "flow-label" => return Err(unsupported(key, &at)),
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not an {version:?} match"),
                ));
            }
        }
    }
    Ok(ip)
}

/// A DNS name as RFC 8520's `ietf-acldns` types it (inet:host-name): labels of letters,
/// digits and hyphens. Checked because it ends up in firewall sets and ward declarations.
///
/// A leading `*.` label (`*.ot.io.mi.com`), which real files use though `inet:host-name` has
/// no wildcards, is read with a warning: the name stays in the ACE as written, and the ACE
/// grants nothing (no address can be resolved for it; `ward mud import` lists it as not
/// imported, and onboarding reports it as asked beyond the class). A `*` anywhere else is
/// refused.
fn dns_name(value: &Value, at: &str, warnings: &mut Vec<MudWarning>) -> Result<String, MudError> {
    let name = string(value, at)?;
    let (wildcard, rest) = match name.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, name.as_str()),
    };
    let valid = !rest.is_empty()
        && name.len() <= 253
        && rest.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !valid {
        return Err(MudError::new(
            "mud-bad-value",
            at,
            format!("`{name}` is not a DNS name"),
        ));
    }
    if wildcard {
        warnings.push(MudWarning {
            path: at.to_string(),
            message: format!(
                "`{name}` is a wildcard DNS name (`inet:host-name` has none); no address can be resolved for it, so its ACE grants nothing"
            ),
        });
    }
    Ok(name)
}

fn parse_port(value: &Value, at: &str) -> Result<PortRange, MudError> {
    let members = object(value, at)?;
    let port = |key: &str| -> Result<Option<u16>, MudError> {
        members
            .get(key)
            .map(|v| integer(v, &pointer(at, key), "a port"))
            .transpose()
    };
    if let (Some(lower), Some(upper)) = (port("lower-port")?, port("upper-port")?) {
        if lower > upper {
            return Err(MudError::new(
                "mud-bad-value",
                at,
                format!("lower-port {lower} is above upper-port {upper}"),
            ));
        }
        return Ok(PortRange::Range(lower, upper));
    }
    let port = port("port")?.ok_or_else(|| {
        MudError::new(
            "mud-missing",
            at,
            "no `port` (or `lower-port` and `upper-port`)",
        )
    })?;
    let operator = match members.get("operator") {
        Some(value) => string(value, &pointer(at, "operator"))?,
        None => "eq".to_string(),
    };
    for key in members.keys() {
        if !matches!(key.as_str(), "port" | "operator") {
            return Err(MudError::new(
                "mud-unknown-member",
                &pointer(at, key),
                format!("`{key}` is not a member of a port match"),
            ));
        }
    }
    match operator.as_str() {
        "eq" => Ok(PortRange::single(port)),
        "lte" => Ok(PortRange::Range(0, port)),
        "gte" => Ok(PortRange::Range(port, u16::MAX)),
        "neq" => Ok(PortRange::Not(port)),
        other => Err(MudError::new(
            "mud-bad-value",
            &pointer(at, "operator"),
            format!("unknown port operator `{other}`"),
        )
        .hint("RFC 8519: eq, lte, gte or neq")),
    }
}

fn parse_ports(value: &Value, path: &str, extra: &[&str]) -> Result<PortMatch, MudError> {
    let mut ports = PortMatch::default();
    for (key, value) in object(value, path)? {
        let at = pointer(path, key);
        match key.as_str() {
            "source-port" => ports.source_port = Some(parse_port(value, &at)?),
            "destination-port" => ports.destination_port = Some(parse_port(value, &at)?),
            k if extra.contains(&k) => {}
            "length"
            | "sequence-number"
            | "acknowledgement-number"
            | "data-offset"
            | "reserved"
            | "flags"
            | "window-size"
            | "urgent-pointer"
            | "options" => {
                return Err(unsupported(key, &at));
            }
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not a transport match ward knows"),
                ));
            }
        }
    }
    Ok(ports)
}

fn parse_tcp(value: &Value, path: &str) -> Result<TcpMatch, MudError> {
    const DIRECTION: &str = "ietf-mud:direction-initiated";
    let ports = parse_ports(value, path, &[DIRECTION])?;
    let direction_initiated = match object(value, path)?.get(DIRECTION) {
        None => None,
        Some(value) => {
            let at = pointer(path, DIRECTION);
            Some(match identity(value, &at, "ietf-mud")?.as_str() {
                "from-device" => Initiated::FromDevice,
                "to-device" => Initiated::ToDevice,
                other => {
                    return Err(MudError::new(
                        "mud-bad-value",
                        &at,
                        format!("`{other}` is not a direction"),
                    )
                    .hint("from-device or to-device"));
                }
            })
        }
    };
    Ok(TcpMatch {
        ports,
        direction_initiated,
    })
}

fn parse_icmp(value: &Value, path: &str) -> Result<IcmpMatch, MudError> {
    let mut icmp = IcmpMatch::default();
    for (key, value) in object(value, path)? {
        let at = pointer(path, key);
        match key.as_str() {
            "type" => icmp.kind = Some(integer(value, &at, "an ICMP type")?),
            "code" => icmp.code = Some(integer(value, &at, "an ICMP code")?),
            "rest-of-header" => return Err(unsupported(key, &at)),
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not an ICMP match"),
                ));
            }
        }
    }
    Ok(icmp)
}

fn parse_eth(value: &Value, path: &str) -> Result<EthMatch, MudError> {
    let mut eth = EthMatch::default();
    for (key, value) in object(value, path)? {
        let at = pointer(path, key);
        match key.as_str() {
            "destination-mac-address" => eth.destination_mac = Some(mac(value, &at)?),
            "source-mac-address" => eth.source_mac = Some(mac(value, &at)?),
            "ethertype" => eth.ethertype = Some(ethertype(value, &at)?),
            "destination-mac-address-mask" | "source-mac-address-mask" => {
                return Err(unsupported(key, &at));
            }
            _ => {
                return Err(MudError::new(
                    "mud-unknown-member",
                    &at,
                    format!("`{key}` is not an Ethernet match"),
                ));
            }
        }
    }
    Ok(eth)
}

fn mac(value: &Value, at: &str) -> Result<String, MudError> {
    let text = string(value, at)?;
    let valid = text.len() == 17
        && text.split(':').count() == 6
        && text
            .split(':')
            .all(|part| part.len() == 2 && part.bytes().all(|b| b.is_ascii_hexdigit()));
    if valid {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(MudError::new(
            "mud-bad-value",
            at,
            format!("`{text}` is not a MAC address"),
        ))
    }
}

/// An ethertype: a number, a hex string as MUDgee writes it (`"0x0800"`), or a name of
/// RFC 8519's ietf-ethertypes.
fn ethertype(value: &Value, at: &str) -> Result<u16, MudError> {
    if value.is_number() {
        return integer(value, at, "an ethertype");
    }
    let text = string(value, at)?;
    let named = match text.trim_start_matches("ietf-ethertypes:") {
        "ipv4" => Some(0x0800),
        "arp" => Some(0x0806),
        "ipv6" => Some(0x86dd),
        "eapol" => Some(0x888e),
        "c-vlan" => Some(0x8100),
        "lldp" => Some(0x88cc),
        _ => None,
    };
    named
        .or_else(|| {
            text.strip_prefix("0x")
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
        })
        .ok_or_else(|| MudError::new("mud-bad-value", at, format!("`{text}` is not an ethertype")))
}
