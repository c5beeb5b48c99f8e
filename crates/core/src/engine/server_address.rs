//! The sync server's address as a device will use it (issue 15, requirement 5;
//! SECURITY-REVIEW.md M7): `https://` to any host; plain `http://` only to this
//! machine (loopback), or — when the person setting it up says so — to an address on
//! the clinic's own network (a private or link-local IP, never a name, which anyone's
//! DNS could answer). Everything else is refused before a token, a code or a key
//! crosses the network in clear. A clinic that runs its own certificate authority (a
//! server in the back office with a certificate the web's roots do not know) gives the
//! device that CA as a [`TrustAnchor`]: the device then trusts it, and only it, for its
//! sync server. Pure: text in, an address or a reason out.

use std::net::IpAddr;

use crate::Error;

/// Whether plain `http://` to the clinic's own network is allowed for this address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanHttp {
    Refuse,
    /// Someone chose it, knowing that the clinic's network then carries tokens in
    /// clear (a server in the back office with no certificate).
    Allow,
}

/// A sync server address that passed [`ServerAddress::parse`]; the only kind a
/// device stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress(String);

fn refused(message: String) -> Error {
    Error::Invalid {
        field: "server",
        message,
    }
}

impl ServerAddress {
    /// Checks a typed address (spaces and a trailing `/` are dropped).
    pub fn parse(typed: &str, lan: LanHttp) -> Result<Self, Error> {
        let trimmed = typed.trim().trim_end_matches('/');
        let example = "give the sync server's address, e.g. https://sync.example-clinic.org";
        let url = url::Url::parse(trimmed).map_err(|_| refused(example.into()))?;
        let host = match url.host() {
            Some(host) if !trimmed.contains(char::is_whitespace) => host,
            _ => return Err(refused(example.into())),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(
                "the server's address must not carry a user name or password".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refused(
                "the server's address has no ?query or #fragment".into(),
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" => {
                let ip = match &host {
                    url::Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
                    url::Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
                    url::Host::Domain(name) if name.eq_ignore_ascii_case("localhost") => {
                        Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
                    }
                    url::Host::Domain(_) => None,
                };
                match ip {
                    Some(ip) if ip.is_loopback() => {}
                    Some(ip) if is_local_network(ip) && lan == LanHttp::Allow => {}
                    Some(ip) if is_local_network(ip) => {
                        return Err(refused(format!(
                            "http://{host} is not encrypted: the device's token and the clinic's invitations would cross the network in clear. Use https://, or allow plain http on the clinic's own network explicitly"
                        )));
                    }
                    _ => {
                        return Err(refused(format!(
                            "http://{host} is not encrypted: use https:// (plain http is only for this machine, or an IP address on the clinic's own network when allowed explicitly)"
                        )));
                    }
                }
            }
            _ => return Err(refused(example.into())),
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The certificate authority a device trusts for its sync server instead of the
/// web's roots: PEM text holding one or more certificates, checked when it is given.
#[derive(Clone, PartialEq, Eq)]
pub struct TrustAnchor(Vec<u8>);

impl std::fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustAnchor({} certificates)", self.certificates().len())
    }
}

/// The most a trust anchor may hold (a CA certificate is a few KB).
const MAX_ANCHOR_BYTES: usize = 64 * 1024;

impl TrustAnchor {
    /// Checks PEM text: it must hold at least one certificate, and nothing that does
    /// not parse.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let invalid = |message: &str| Error::Invalid {
            field: "ca_cert",
            message: message.into(),
        };
        if pem.len() > MAX_ANCHOR_BYTES {
            return Err(invalid(
                "the certificate file is too large to be a CA certificate",
            ));
        }
        let mut certificates = 0;
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(_)) => certificates += 1,
                Ok(_) => {}
                Err(_) => {
                    return Err(invalid(
                        "the certificate file does not parse as PEM: give the clinic CA's certificate (-----BEGIN CERTIFICATE-----)",
                    ));
                }
            }
        }
        if certificates == 0 {
            return Err(invalid(
                "the file holds no certificate: give the clinic CA's certificate in PEM (-----BEGIN CERTIFICATE-----)",
            ));
        }
        Ok(Self(pem.to_vec()))
    }

    /// The PEM text, as stored.
    pub fn pem(&self) -> &[u8] {
        &self.0
    }

    /// Its certificates, for a TLS client's roots.
    pub fn certificates(&self) -> Vec<ureq::tls::Certificate<'static>> {
        ureq::tls::parse_pem(&self.0)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert.to_owned()),
                _ => None,
            })
            .collect()
    }
}

impl std::fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A private (RFC 1918, RFC 4193) or link-local address: the clinic's own network.
fn is_local_network(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(typed: &str, lan: LanHttp) -> Result<String, String> {
        ServerAddress::parse(typed, lan)
            .map(|a| a.as_str().to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_trust_anchor_must_hold_a_certificate() {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
            .unwrap_or_else(|e| panic!("{e}"));
        let pem = made.cert.pem();
        let anchor = TrustAnchor::from_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(anchor.certificates().len(), 1);
        assert_eq!(anchor.pem(), pem.as_bytes());
        for bad in [
            &b""[..],
            b"not a certificate",
            made.signing_key.serialize_pem().as_bytes(),
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        ] {
            let refused = TrustAnchor::from_pem(bad);
            assert!(
                matches!(
                    &refused,
                    Err(Error::Invalid {
                        field: "ca_cert",
                        ..
                    })
                ),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn https_goes_anywhere_and_plain_http_only_to_this_machine() {
        for (typed, stored) in [
            (" https://sync.clinic.org/ ", "https://sync.clinic.org"),
            (
                "https://sync.clinic.org:8443/vetdesk/",
                "https://sync.clinic.org:8443/vetdesk",
            ),
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
            ("http://localhost:8787/", "http://localhost:8787"),
            ("http://[::1]:8787", "http://[::1]:8787"),
        ] {
            assert_eq!(verdict(typed, LanHttp::Refuse), Ok(stored.to_string()));
        }
        for typed in [
            "http://sync.clinic.org",
            "http://93.184.216.34:8787",
            "http://192.168.1.20:8787",
            "http://10.0.0.5",
            "http://[fd00::5]:8787",
        ] {
            let refused = verdict(typed, LanHttp::Refuse);
            assert!(
                refused.as_ref().is_err_and(|e| e.contains("not encrypted")),
                "{typed}: {refused:?}"
            );
        }
    }

    #[test]
    fn plain_http_to_the_clinics_network_needs_saying_so_and_never_to_a_name() {
        for typed in [
            "http://192.168.1.20:8787",
            "http://10.0.0.5",
            "http://172.16.4.4",
            "http://169.254.3.3",
            "http://[fd00::5]:8787",
            "http://[fe80::1]:8787",
        ] {
            assert!(verdict(typed, LanHttp::Allow).is_ok(), "{typed}");
        }
        for typed in [
            "http://sync.local:8787",
            "http://backoffice",
            "http://8.8.8.8",
            "http://172.32.0.1",
        ] {
            assert!(verdict(typed, LanHttp::Allow).is_err(), "{typed}");
        }
    }

    #[test]
    fn what_is_not_an_address_is_refused_on_the_server_field() {
        for typed in [
            "",
            "sync.clinic.org",
            "ftp://sync.clinic.org",
            "https://",
            "https://a b",
            "https://user:pw@sync.clinic.org",
            "https://sync.clinic.org/?x=1",
            "file:///etc/passwd",
        ] {
            match ServerAddress::parse(typed, LanHttp::Allow) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "server", "{typed}"),
                other => panic!("{typed:?} should be refused: {other:?}"),
            }
        }
    }
}
