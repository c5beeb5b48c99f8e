//! Helpers shared by the CLI's tests.

#![allow(dead_code)]

/// Sets up an authenticator for the staff member `run` acts as, as a script does:
/// `vetdesk auth enroll --json` for the secret, then the code an authenticator app
/// shows for it now. Returns the secret; their second factor then stands confirmed for
/// a few minutes, so the admin acts that follow go through. Returns the secret and the
/// recovery codes printed.
pub fn enroll_authenticator(
    run: impl Fn(&[&str]) -> (bool, String, String),
) -> (String, Vec<String>) {
    let (ok, out, err) = run(&["auth", "enroll", "--json"]);
    assert!(ok, "auth enroll --json: {err}");
    let setup: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let secret = setup["secret"].as_str().unwrap_or_default().to_string();
    let parsed =
        vetdesk_core::second_factor::TotpSecret::parse(&secret).unwrap_or_else(|e| panic!("{e}"));
    let code = vetdesk_core::second_factor::code_at(&parsed, time::OffsetDateTime::now_utc())
        .unwrap_or_else(|e| panic!("{e}"));
    let (ok, codes, err) = run(&["auth", "enroll", "--secret", &secret, "--code", &code]);
    assert!(ok, "auth enroll --secret: {err}");
    let codes: Vec<String> = codes.lines().map(str::to_string).collect();
    assert_eq!(codes.len(), 10, "ten recovery codes: {codes:?}");
    (secret, codes)
}
