//! Name resolution for provider calls, and the guard against server-side request forgery.
//!
//! A host that comes from an end user's input, their metadata or a value captured from a token
//! answer may name any address, including this server's own loopback services, the private
//! network and the cloud metadata endpoint. Such hosts go through a guarded client: its
//! resolver keeps only public addresses and the connector connects to exactly those (the
//! checked IP is the one used; there is no second lookup to rebind). IP literals skip
//! resolvers, so [`check_literal`] refuses them before anything is sent. Hosts the manifest
//! fixes (literal or `{env.*}`) are the owner's and may be loopback.
//!
//! Pinned names ([`crate::LocalServerBuilder::resolve`]) answer before DNS, so tests decide
//! what a name resolves to without sending a packet.

use hyper_util::client::legacy::connect::dns::Name;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Host names pinned to addresses, consulted before DNS (lowercase, no trailing dot).
pub(crate) type Pins = Arc<HashMap<String, Vec<IpAddr>>>;

/// A connection refused by the guard: the host names no public address.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} resolves to no public address (loopback, private, link-local and metadata addresses are refused for hosts that end users or tokens choose)"
)]
pub(crate) struct Refused(pub String);

/// Resolves through the pins, then the system resolver; when `guard` is set, keeps public
/// addresses only.
#[derive(Clone)]
pub(crate) struct Resolver {
    pub pins: Pins,
    pub guard: bool,
}

type Boxed = Box<dyn std::error::Error + Send + Sync>;

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Boxed;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Boxed>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Boxed>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let (pins, guard) = (self.pins.clone(), self.guard);
        Box::pin(async move {
            let found: Vec<IpAddr> = match pins.get(&host) {
                Some(pinned) => pinned.clone(),
                None => tokio::net::lookup_host((host.as_str(), 0))
                    .await?
                    .map(|a| a.ip())
                    .collect(),
            };
            let usable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| !guard || is_public(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if usable.is_empty() && guard {
                return Err(Box::new(Refused(host)) as Boxed);
            }
            Ok(usable.into_iter())
        })
    }
}

/// Refuses a guarded URL whose host is a non-public IP literal (resolvers never see those).
pub(crate) fn check_literal(host: &str) -> Result<(), Refused> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) if !is_public(ip) => Err(Refused(host.to_string())),
        _ => Ok(()),
    }
}

/// Whether `ip` is a public unicast address: not loopback, unspecified, private (RFC 1918,
/// shared 100.64/10), link-local (169.254/16 with the 169.254.169.254 metadata service,
/// fe80::/10), unique-local (fc00::/7), multicast, broadcast or documentation.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_not() {
        for bad in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
        for good in ["93.184.216.34", "2606:4700::1111", "172.32.0.1"] {
            assert!(is_public(good.parse().unwrap()), "{good}");
        }
        assert!(check_literal("[::1]").is_err());
        assert!(check_literal("example.com").is_ok());
    }
}
