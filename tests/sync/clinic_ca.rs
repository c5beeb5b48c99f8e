//! A sync server on the clinic's own network with a certificate from the clinic's own
//! certificate authority (issue 15, requirement 5): devices given that CA with
//! `--ca-cert` set up, enroll and sync over HTTPS through the real server binary; a
//! device that trusts only the web's roots, or another CA, refuses the server before
//! anything is sent, and `--ca-cert` with a file that is no certificate is refused
//! with a clear message.

use std::path::{Path, PathBuf};

use super::{enrolled_fingerprint, ok, pending_device, records_line, vetdesk};

/// A certificate authority and a server certificate it signed for `localhost`;
/// returns (CA certificate, server certificate, server key) as PEM files in `dir`.
fn clinic_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = ok(rcgen::KeyPair::generate());
    let mut ca = ok(rcgen::CertificateParams::new(Vec::<String>::new()));
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name} CA"));
    let ca_cert = ok(ca.self_signed(&ca_key));
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let server_key = ok(rcgen::KeyPair::generate());
    let server = ok(rcgen::CertificateParams::new(vec!["localhost".to_string()]));
    let server_cert = ok(server.signed_by(&server_key, &issuer));
    let paths = (
        dir.join(format!("{name}-ca.pem")),
        dir.join(format!("{name}-server.pem")),
        dir.join(format!("{name}-server-key.pem")),
    );
    ok(std::fs::write(&paths.0, ca_cert.pem()));
    ok(std::fs::write(&paths.1, server_cert.pem()));
    ok(std::fs::write(&paths.2, server_key.serialize_pem()));
    paths
}

/// The real server binary serving HTTPS on a free port with `cert` and `key`.
struct TlsServer(std::process::Child);

impl TlsServer {
    fn start(database_url: &str, cert: &Path, key: &Path) -> (Self, String) {
        let port =
            ok(std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())).port();
        let child = ok(std::process::Command::new(ok(vetdesk_e2e::built_binary(
            "vetdesk-sync-server",
        )))
        .args(["--database-url", database_url])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--registration", "open"])
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        (Self(child), format!("https://localhost:{port}"))
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_else(|| panic!("{path:?}"))
}

#[test]
fn devices_given_the_clinics_own_ca_sync_over_https_and_no_other_trust_will_do() {
    let runtime = super::runtime();
    let database_url = runtime.block_on(vetdesk_testkit::fresh_database_url());
    let dir = ok(tempfile::tempdir());
    let (ca, cert, key) = clinic_ca(dir.path(), "riverside");
    let (other_ca, _, _) = clinic_ca(dir.path(), "elsewhere");
    let (_server, url) = TlsServer::start(&database_url, &cert, &key);
    let (first, second) = (dir.path().join("front-desk"), dir.path().join("exam-room"));
    for data in [&first, &dir.path().join("untrusting")] {
        let (done, _, err) = vetdesk(
            data,
            &["demo", "--clients", "4", "--key-store", "passphrase"],
        );
        assert!(done, "{err}");
    }

    // Trusting only the web's roots, or another clinic's CA: refused, nothing set up.
    let untrusting = dir.path().join("untrusting");
    for extra in [vec![], vec!["--ca-cert", path_str(&other_ca)]] {
        let mut args = vec!["sync", "setup", "--server", &url];
        args.extend(extra.iter().copied());
        let (done, _, err) = vetdesk(&untrusting, &args);
        assert!(!done && err.contains("certificate is not trusted"), "{err}");
        let (_, out, _) = vetdesk(&untrusting, &["sync", "status"]);
        assert!(out.contains("(not set up)"), "{out}");
    }
    // A file that is no certificate: a clear refusal before anything is sent.
    let (done, _, err) = vetdesk(
        &untrusting,
        &[
            "sync",
            "setup",
            "--server",
            &url,
            "--ca-cert",
            path_str(&key),
        ],
    );
    assert!(!done && err.contains("not a CA certificate"), "{err}");

    // With the clinic's CA: set up, invite, enroll, approve, sync — all over HTTPS.
    let (done, out, err) = vetdesk(
        &first,
        &[
            "sync",
            "setup",
            "--server",
            &url,
            "--ca-cert",
            path_str(&ca),
        ],
    );
    assert!(done && out.contains("pushed"), "{out} {err}");
    super::enroll_cli_admin(&first);
    let (done, code, err) = vetdesk(&first, &["devices", "invite"]);
    assert!(done, "{err}");
    let (done, out, err) = vetdesk(
        &second,
        &[
            "enroll",
            "--server",
            &url,
            "--code",
            code.trim(),
            "--name",
            "Exam room",
            "--key-store",
            "passphrase",
            "--ca-cert",
            path_str(&ca),
        ],
    );
    assert!(done, "{out} {err}");
    let fingerprint = enrolled_fingerprint(&out);
    let (done, list, err) = vetdesk(&first, &["devices", "list"]);
    assert!(done, "{err}");
    let pending = pending_device(&list);
    let (done, out, err) = super::approve_with_cli(&first, &pending, &fingerprint);
    assert!(done, "{out} {err}");
    let (done, out, err) = vetdesk(&second, &["sync"]);
    assert!(done, "{out} {err}");
    assert_eq!(records_line(&first), records_line(&second));
    assert!(
        records_line(&second).contains("4 clients"),
        "{}",
        records_line(&second)
    );
}
