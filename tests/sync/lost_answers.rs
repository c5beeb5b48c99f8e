//! Setting up sync and enrolling when the server's answer is lost on the way (issue 15,
//! requirement 5; SECURITY-REVIEW.md M10), through a proxy that passes each request to
//! the real server and then hangs up instead of passing the answer back — the server
//! has committed, the device never heard. Sent again, the same request gets the same
//! answer; the clinic is not stranded behind "already set up", nor the invitation
//! behind "code used". The same when the command is killed (SIGKILL) after the server
//! answered and before the device kept the answer: run again, it finishes. Also: plain
//! http to anything but this machine is refused before anything is sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use vetdesk_core::Store;
use vetdesk_core::server_address::{LanHttp, ServerAddress};

use super::{
    an_admin_of, canonical, enrolled_fingerprint, enrollment, ok, pending_device, protection,
    records_line, runtime, start_server, sync, vetdesk, vetdesk_command,
};

/// One HTTP/1.1 message off `stream`: its head and its body (by Content-Length).
fn read_message(stream: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(value) = line
            .to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(str::trim)
        {
            length = value.parse().ok()?;
        }
        message.extend_from_slice(line.as_bytes());
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()?;
    message.extend_from_slice(&body);
    Some(message)
}

/// A proxy in front of `upstream` (host:port) that drops the answers to the first
/// `drop_first` requests after the server has handled them. Returns its address and
/// how many answers it dropped.
fn answer_dropping_proxy(upstream: String, drop_first: usize) -> (String, Arc<AtomicUsize>) {
    let listener = ok(TcpListener::bind("127.0.0.1:0"));
    let address = ok(listener.local_addr());
    let handled = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (counter, lost) = (handled.clone(), dropped.clone());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (upstream, counter, lost) = (upstream.clone(), counter.clone(), lost.clone());
            std::thread::spawn(move || {
                let Ok(mut writer) = client.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(client);
                while let Some(request) = read_message(&mut reader) {
                    let Ok(mut server) = TcpStream::connect(&upstream) else {
                        return;
                    };
                    if server.write_all(&request).is_err() {
                        return;
                    }
                    let mut answers = BufReader::new(server);
                    let Some(answer) = read_message(&mut answers) else {
                        return;
                    };
                    if counter.fetch_add(1, Ordering::SeqCst) < drop_first {
                        // The server has answered; the device never hears it.
                        lost.fetch_add(1, Ordering::SeqCst);
                        let _ = writer.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    if writer.write_all(&answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{address}"), dropped)
}

/// A proxy in front of `upstream` that passes every request and answer, except that it
/// holds the server's answer to the first request that starts with `held` (a request
/// line such as "POST /v1/enroll") and never passes it on; `answered` hears once the
/// server has given that answer. Returns the proxy's URL.
fn answer_holding_proxy(
    upstream: String,
    held: &'static str,
) -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = ok(TcpListener::bind("127.0.0.1:0"));
    let address = ok(listener.local_addr());
    let (answered, heard) = std::sync::mpsc::channel();
    let holding = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (upstream, answered, holding) =
                (upstream.clone(), answered.clone(), holding.clone());
            std::thread::spawn(move || {
                let Ok(mut writer) = client.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(client);
                while let Some(request) = read_message(&mut reader) {
                    let Ok(mut server) = TcpStream::connect(&upstream) else {
                        return;
                    };
                    if server.write_all(&request).is_err() {
                        return;
                    }
                    let Some(answer) = read_message(&mut BufReader::new(server)) else {
                        return;
                    };
                    if request.starts_with(held.as_bytes())
                        && holding.fetch_add(1, Ordering::SeqCst) == 0
                    {
                        let _ = answered.send(());
                        // Held until the device is gone (its side of the socket closes).
                        let mut rest = Vec::new();
                        let _ = reader.read_to_end(&mut rest);
                        return;
                    }
                    if writer.write_all(&answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{address}"), heard)
}

/// Runs `vetdesk` with `args` and kills it (SIGKILL) as soon as `answered` hears that
/// the server has answered the request the proxy holds.
fn killed_after_the_answer(
    data_dir: &std::path::Path,
    args: &[&str],
    answered: &std::sync::mpsc::Receiver<()>,
) {
    let mut child = ok(vetdesk_command(data_dir, args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn());
    let heard = answered.recv_timeout(std::time::Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    assert!(heard.is_ok(), "the server never answered the held request");
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

#[test]
fn setting_up_sync_again_after_its_answer_was_lost_gets_the_same_clinic_and_token() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let (proxy, dropped) = answer_dropping_proxy(host_port(&url), 1);
    let dir = ok(tempfile::tempdir());
    let mut a = ok(Store::create(
        dir.path(),
        "Riverside Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let owner = an_admin_of(&mut a);
    let through_proxy = ok(ServerAddress::parse(&proxy, LanHttp::Refuse));

    let lost = a.set_up_sync(&owner, &through_proxy, None);
    assert!(
        matches!(lost, Err(vetdesk_core::sync::SyncError::Offline(_))),
        "the answer was lost: {lost:?}"
    );
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert!(ok(a.sync_credentials()).is_none(), "not set up yet");
    let registered: i64 = runtime.block_on(async {
        ok(
            sqlx::query_scalar("SELECT count(*) FROM clinics WHERE id = $1")
                .bind(ok(a.clinic_id()))
                .fetch_one(&pool)
                .await,
        )
    });
    assert_eq!(registered, 1, "the server did register the clinic");

    // Sent again (as `vetdesk sync setup` is run again): the same answer, not 409.
    ok(a.set_up_sync(&owner, &through_proxy, None));
    let report = sync(&mut a);
    assert!(report.pushed > 0, "{report:?}");
    let devices: i64 = runtime.block_on(async {
        ok(sqlx::query_scalar("SELECT count(*) FROM devices")
            .fetch_one(&pool)
            .await)
    });
    assert_eq!(devices, 1, "one device, one token");
    let again = a.set_up_sync(&owner, &through_proxy, None);
    assert!(
        again
            .as_ref()
            .is_err_and(|e| e.to_string().contains("already set up")),
        "{again:?}"
    );
}

#[test]
fn an_enrollment_whose_answer_was_lost_is_sent_again_and_the_invitation_still_works() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = ok(Store::create(
        dirs.0.path(),
        "Riverside Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let owner = an_admin_of(&mut a);
    ok(a.set_up_sync(
        &owner,
        &ok(ServerAddress::parse(&url, LanHttp::Refuse)),
        None,
    ));
    sync(&mut a);
    let code = ok(a.invite_device(&owner)).code;

    // The new device enrolls through a proxy that loses the server's first answer:
    // core sends the same enrollment again and is answered the same.
    let (proxy, dropped) = answer_dropping_proxy(host_port(&url), 1);
    let mut b = ok(Store::enroll(
        dirs.1.path(),
        &enrollment(&proxy, &code, "Exam room 5"),
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "an answer was lost");
    let fingerprint = ok(b.status()).device_fingerprint;
    ok(a.approve_device(&owner, b.device_id(), &fingerprint, false));
    sync(&mut a);
    ok(b.fetch_clinic_key_if_missing());
    sync(&mut b);
    assert_eq!(canonical(&b), canonical(&a));
}

#[test]
fn plain_http_beyond_this_machine_is_refused_before_anything_is_made_or_sent() {
    let dir = ok(tempfile::tempdir());
    for typed in ["http://sync.example-clinic.org", "http://192.168.1.20:8787"] {
        let enrolling = Store::enroll(
            &dir.path().join("new"),
            &enrollment(typed, "AB12CD34EF-GH56JK78MN", "Desk"),
            protection(),
            time::OffsetDateTime::now_utc(),
        );
        match enrolling {
            Err(vetdesk_core::sync::SyncError::Store(vetdesk_core::Error::Invalid {
                field: "server",
                message,
            })) => assert!(message.contains("not encrypted"), "{message}"),
            other => panic!("{typed}: {:?}", other.map(|s| s.device_id())),
        }
        assert!(!dir.path().join("new").exists(), "nothing made for {typed}");
    }
}

#[test]
fn vetdesk_sync_setup_killed_after_the_server_registered_the_clinic_is_finished_by_running_it_again()
 {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let (proxy, answered) = answer_holding_proxy(host_port(&url), "POST /v1/clinics");
    let dir = ok(tempfile::tempdir());
    let data = dir.path().join("front-desk");
    let (made, _, err) = vetdesk(
        &data,
        &["demo", "--clients", "4", "--key-store", "passphrase"],
    );
    assert!(made, "{err}");

    killed_after_the_answer(&data, &["sync", "setup", "--server", &proxy], &answered);
    let clinics: i64 = runtime.block_on(async {
        ok(sqlx::query_scalar("SELECT count(*) FROM clinics")
            .fetch_one(&pool)
            .await)
    });
    assert_eq!(
        clinics, 1,
        "the server registered the clinic before the kill"
    );

    let (done, out, err) = vetdesk(&data, &["sync", "setup", "--server", &proxy]);
    assert!(done, "run again, it finishes: {out} {err}");
    let (done, out, err) = vetdesk(&data, &["sync"]);
    assert!(done, "{out} {err}");
    let (devices, envelopes): (i64, i64) = runtime.block_on(async {
        (
            ok(sqlx::query_scalar("SELECT count(*) FROM devices")
                .fetch_one(&pool)
                .await),
            ok(sqlx::query_scalar("SELECT count(*) FROM envelopes")
                .fetch_one(&pool)
                .await),
        )
    });
    assert_eq!(devices, 1, "one device, one token");
    assert!(envelopes > 0, "the clinic's records went up");
}

#[test]
fn vetdesk_enroll_killed_after_the_server_enrolled_it_is_finished_by_the_same_command() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dir = ok(tempfile::tempdir());
    let (first, second) = (dir.path().join("front-desk"), dir.path().join("exam-room"));
    let (made, _, err) = vetdesk(
        &first,
        &["demo", "--clients", "4", "--key-store", "passphrase"],
    );
    assert!(made, "{err}");
    let (done, out, err) = vetdesk(&first, &["sync", "setup", "--server", &url]);
    assert!(done, "{out} {err}");
    super::enroll_cli_admin(&first);
    let (done, code, err) = vetdesk(&first, &["devices", "invite"]);
    assert!(done, "{err}");
    let code = code.trim().to_string();

    let (proxy, answered) = answer_holding_proxy(host_port(&url), "POST /v1/enroll");
    let enroll = [
        "enroll",
        "--server",
        &proxy,
        "--code",
        &code,
        "--name",
        "Exam room",
        "--key-store",
        "passphrase",
    ];
    killed_after_the_answer(&second, &enroll, &answered);
    // Killed between the server's commit and the device keeping its answer: the server
    // holds a pending device; this folder is an unfinished enrollment, not a store.
    let (opened, _, err) = vetdesk(&second, &["status"]);
    assert!(!opened && err.contains("did not finish"), "{err}");

    let (done, out, err) = vetdesk(&second, &enroll);
    assert!(done, "the same command finishes it: {out} {err}");
    let fingerprint = enrolled_fingerprint(&out);
    let (_, list, _) = vetdesk(&first, &["devices", "list"]);
    let pending = pending_device(&list);
    assert_eq!(
        list.lines().filter(|l| l.contains("pending")).count(),
        1,
        "one device enrolled, not an orphan beside it: {list}"
    );
    assert!(
        out.contains(&pending),
        "the device the server holds is this one: {out}"
    );
    let (done, _, err) = super::approve_with_cli(&first, &pending, &fingerprint);
    assert!(done, "{err}");
    let (done, _, err) = vetdesk(&first, &["sync"]);
    assert!(done, "{err}");
    let (done, out, err) = vetdesk(&second, &["sync"]);
    assert!(done, "{out} {err}");
    assert_eq!(records_line(&second), records_line(&first));
    assert!(
        records_line(&second).contains("4 clients"),
        "{}",
        records_line(&second)
    );
    let devices: i64 = runtime.block_on(async {
        ok(sqlx::query_scalar("SELECT count(*) FROM devices")
            .fetch_one(&pool)
            .await)
    });
    assert_eq!(devices, 2);
}
