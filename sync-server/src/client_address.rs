//! The address a request comes from, as the rate limits see it (SECURITY-REVIEW.md M9):
//! the TCP peer, unless the peer is a reverse proxy the operator named
//! (`--trusted-proxy`), in which case the client is the right-most address in
//! `X-Forwarded-For` that is not itself a trusted proxy. A client cannot choose its own
//! address by sending the header: from an untrusted peer it is ignored.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::http::request::Parts;

/// The client behind `peer`, given the proxies the operator trusts. Pure.
pub fn client_of(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(chain) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in chain.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) if trusted.contains(&address) => client = address,
            Ok(address) => return address,
            // Something a proxy did not write: stop at the last address we could trust.
            Err(_) => return client,
        }
    }
    client
}

/// The client address of a request (see [`client_of`]); a request without connection
/// info (a test calling the router directly) counts as one unspecified address.
pub fn of_request(parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip());
    // Several headers are joined in order, as one list.
    let joined: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!joined.is_empty()).then(|| joined.join(","));
    client_of(peer, forwarded.as_deref(), trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn only_a_trusted_proxy_may_say_who_the_client_is() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let cases = [
            // A client talking to us directly cannot choose its address.
            ("198.51.100.7", Some("203.0.113.5"), "198.51.100.7"),
            // Through our proxy: the client it saw.
            ("10.0.0.1", Some("203.0.113.5"), "203.0.113.5"),
            // A client that prepends a made-up hop gets its real address, the one our
            // proxy appended.
            ("10.0.0.1", Some("1.2.3.4, 203.0.113.5"), "203.0.113.5"),
            // Two of our proxies in a row.
            ("10.0.0.1", Some("203.0.113.5, 10.0.0.2"), "203.0.113.5"),
            // Our proxy, no header: the proxy itself.
            ("10.0.0.1", None, "10.0.0.1"),
            // Garbage after the trusted hops: stop at the last trusted one.
            ("10.0.0.1", Some("203.0.113.5, not-an-ip"), "10.0.0.1"),
        ];
        for (peer, header, client) in cases {
            assert_eq!(
                client_of(ip(peer), header, &proxies),
                ip(client),
                "{peer} {header:?}"
            );
        }
    }
}
