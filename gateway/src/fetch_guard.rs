//! What the gateway may fetch when a client names a MUD URL: the client chooses the URL, so
//! without limits the gateway would fetch from its own loopback, the LAN's private hosts or
//! a cloud metadata address for whoever asks (SSRF). Here:
//! - `Direct` fetching takes `https` URLs only; `http` reaches only a configured mirror;
//! - a host's addresses are resolved here and checked before any connection, and the
//!   connection goes to the checked addresses (no second lookup a rebinding DNS server could
//!   answer differently): loopback, private, link-local, unique-local, shared, multicast and
//!   unspecified addresses are refused unless the operator allows their prefix
//!   (`--mud-fetch-allow`); a configured mirror's own host is always allowed;
//! - redirects are followed only to the same host, three at most.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ward_compiler::prefix::Prefix;

/// The prefixes fetching may reach beyond the public Internet, and the mirror's host.
#[derive(Clone, Debug, Default)]
pub struct FetchGuard {
    pub allow: Vec<Prefix>,
    /// The configured mirror's host name or address, trusted by configuration.
    pub mirror_host: Option<String>,
}

/// Whether an address is of the public Internet.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                // Shared address space (RFC 6598) and the benchmarking range (RFC 2544).
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local (fc00::/7), link-local (fe80::/10), documentation.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

impl FetchGuard {
    /// Whether the gateway may connect to `address` for host `host`.
    pub fn admits(&self, host: &str, address: IpAddr) -> bool {
        is_public(address)
            || self.allow.iter().any(|p| p.contains_address(address))
            || self
                .mirror_host
                .as_deref()
                .is_some_and(|mirror| mirror.eq_ignore_ascii_case(host.trim_matches(['[', ']'])))
    }

    /// The resolver reqwest connects through: it looks a name up and keeps only the
    /// addresses `admits` allows, failing when none is left.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver(self.clone()))
    }
}

pub struct GuardedResolver(FetchGuard);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let admitted: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| guard.admits(&host, a.ip()))
                .collect();
            if admitted.is_empty() {
                let refused: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{host} resolves to {}, which MUD fetching may not reach (--mud-fetch-allow)",
                    if refused.is_empty() {
                        "nothing".to_string()
                    } else {
                        refused.join(", ")
                    }
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(admitted.into_iter());
            Ok(addrs)
        })
    }
}

/// The redirect policy: the same host only, three hops at most.
pub fn redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt
            .previous()
            .first()
            .and_then(|u| u.host_str().map(str::to_string));
        let same = first.as_deref() == attempt.url().host_str()
            && attempt.previous().first().map(|u| u.scheme()) == Some(attempt.url().scheme());
        if attempt.previous().len() > 3 {
            attempt.error("more than three redirects")
        } else if same {
            attempt.follow()
        } else {
            let to = attempt.url().host_str().unwrap_or("").to_string();
            attempt.error(format!("a redirect to another host ({to}) is not followed"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched_from_unless_allowed() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
        let guard = FetchGuard {
            allow: vec!["10.0.0.0/8".parse().expect("prefix")],
            mirror_host: Some("127.0.0.1".into()),
        };
        assert!(guard.admits("mud.lan", "10.9.9.9".parse().expect("ip")));
        assert!(!guard.admits("mud.lan", "192.168.1.1".parse().expect("ip")));
        assert!(guard.admits("127.0.0.1", "127.0.0.1".parse().expect("ip")));
        assert!(!guard.admits("localhost", "127.0.0.1".parse().expect("ip")));
    }
}
