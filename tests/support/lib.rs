//! Support for the end-to-end tests: a private X server (Xvfb), WebKitGTK's WebDriver
//! server launching the real `vetdesk-app` binary, and a small W3C WebDriver client.
//!
//! We talk to `WebKitWebDriver` directly rather than through `tauri-driver`: the latter
//! only forwards to it, and measured here it reset connections in 2 runs out of 10
//! (see ../shared/design/TOOLCHAIN.md), while the direct path had none.
//!
//! Every process started here runs in its own process group and is killed with it when
//! its guard is dropped, so a failing test leaves nothing running.
//!
//! ## What the cross-crate tests cover and how
//!
//! `crates/core/tests`: `authority` and `chains` (a hostile member device against the
//! merge rules: authority as of each change, forged audit and register chains),
//! `records` (services, roles, booking clashes — local and made by two
//! devices offline — signing, conflicts, audit tampering, search, PIN lockout, clock across
//! restarts and skew, idempotent apply, quarantine), `convergence` (proptest: three
//! devices run random service calls on drifting and jumping clocks and exchange changesets
//! shuffled, duplicated and partitioned; at the end equal digests, conflicts, search hits
//! and exports, intact audit chains, held changesets applied; clocks never go back and
//! never adopt a remote clock beyond the bound; failing seeds kept in
//! `convergence.proptest-regressions`; `PROPTEST_CASES` raises the 16 default cases),
//! `demo_import`. `crates/cli/tests/records.rs` drives the records commands as a script does,
//! including a `kill -9` in the middle of an import (the store then holds none of it, opens,
//! and its audit chain verifies). `make bench` runs `crates/core/benches/records.rs` and
//! `tests/benches/sync.rs` (50 devices pushing and pulling against one server beside a
//! `COPY` of the same rows; a new device pulling 1M changes with the release CLI), both on
//! full-durability clusters; numbers in `docs/BENCHMARKS.md`.
//!
//! `sync` (in `tests/`): devices (core stores) syncing through the real sync server over
//! HTTP on a real PostgreSQL — a demo clinic reaches a second device byte-identical, edits
//! flow back, and every column of every server table is searched for clients' and
//! patients' names and SOAP text: none; a new device enrolls with a one-time code through
//! the real CLI, waits for approval (the admin giving the fingerprint it printed), receives the signed key grant and the clinic, and is
//! refused once revoked; three devices converge through two server instances.
//! `sync::enrollment_attacks` is the hostile server at enrollment (issue 15): it swaps the pending device's key (the device list warns, approval is refused and audited, nothing is sealed, the server row stays pending) and substitutes the grant (a sealed box of its own, another device's grant, a cut or flipped one: each refused, no key kept); with the honest rows back, the same devices converge. `sync::lost_answers` puts a proxy in front of the server that passes each request on and hangs up instead of passing the answer back: setting up sync again gets the same clinic and token (not 409), an enrollment is resent by core and the invitation still works; `vetdesk enroll` and `vetdesk sync setup` killed (SIGKILL) after the server committed are finished by running them again (one device on the server, same records); plain http beyond this machine is refused before anything is made. `sync::attacks` and `sync::hostile` are the hostile-device suite (issue 14): a member
//! device built from our own core with its checks removed (`Store::sign_as_this_device`
//! signs whatever it is given) pushes, through the real server, every attack of
//! SECURITY-REVIEW.md H1–H3, M1 and M6 — changes that fail constraints, triggers and
//! overflow; a second clinic row; a back-dated and a mis-hashed signature and a rewrite of
//! a signed visit; a front-desk author promoting herself, resetting the owner's PIN and
//! deactivating the vet; a row naming someone else; an event appended to another device's
//! audit chain and a chain for a made-up device; a sign-in event to lift a pause and ten
//! made-up wrong PINs; a changeset of 1,001 changes, an 8 MiB cell and an LZ4 bomb — and
//! the honest devices set each aside or refuse it with its reason, keep pulling and
//! pushing, keep every honest change, verify every audit chain as signed, and end with
//! identical exports; a server that stores forged or revoked devices' envelopes, damages
//! one, or a device whose clock ran ahead, likewise.
//! `sync/faults.rs`: PostgreSQL crashes (SIGQUIT, crash recovery on restart — on a cluster of
//! the test's own, `testkit::OwnCluster`) and the real server binary is SIGKILLed while a
//! device pushes 1,500 changesets; the device is SIGKILLed at nine moments of CLI rounds
//! that pull 1,500 and push 600; every envelope is delivered twice (lost acknowledgement,
//! lost cursor); a device's clock runs three hours fast. Each ends with every changeset on
//! the server exactly once and identical exports. `sync/engine.rs`: the background engine
//! pulls on notify, reports offline with the change pending when the server dies, and
//! catches up by itself when it returns (partition and heal).
//!
//! `e2e`: the real `vetdesk-app` binary under a private Xvfb, driven over W3C WebDriver by
//! talking to `WebKitWebDriver` directly (tauri-driver only forwards to it and reset
//! connections in 2 of 10 runs when measured; see `support/lib.rs`). Screenshots go to
//! `docs/screenshots/`, read from Xvfb's own framebuffer (`-fbdir`, an XWD file;
//! `support/framebuffer.rs`) because WebKitWebDriver's screenshot never returns once the
//! window paints without compositing. `support/sync_server.rs` starts the real sync
//! server over a fresh database for the sync tests and the enrollment test. `tidy`: every `.rs` file starts with `//!`; the dependency
//! direction below holds on the resolved graph (`cargo tree`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

pub mod framebuffer;
pub mod sync_server;

/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A child process in its own process group, killed (group and all) on drop.
#[derive(Debug)]
pub struct ProcessGroup {
    child: Child,
    name: &'static str,
}

impl ProcessGroup {
    pub fn spawn(name: &'static str, mut command: Command) -> Result<Self> {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        let child = command.spawn().with_context(|| format!("start {name}"))?;
        Ok(Self { child, name })
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop on SIGTERM; killing it", self.name);
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A private X server on a display number it picks itself.
#[derive(Debug)]
pub struct Xvfb {
    pub display: String,
    /// Where Xvfb keeps its screen as an XWD image (`-fbdir`), for screenshots.
    framebuffer: PathBuf,
    _framebuffer_dir: tempfile::TempDir,
    _process: ProcessGroup,
}

impl Xvfb {
    pub fn start() -> Result<Self> {
        let framebuffer_dir = tempfile::tempdir()?;
        let mut command = Command::new("Xvfb");
        command
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
                "-fbdir",
            ])
            .arg(framebuffer_dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process = ProcessGroup::spawn("Xvfb", command)
            .context("Xvfb is needed (scripts/setup.sh test installs it)")?;
        let stdout = process
            .child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout from Xvfb"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let number = line.trim();
        if number.is_empty() {
            bail!("Xvfb did not report a display number");
        }
        Ok(Self {
            display: format!(":{number}"),
            framebuffer: framebuffer_dir.path().join("Xvfb_screen0"),
            _framebuffer_dir: framebuffer_dir,
            _process: process,
        })
    }
}

/// `WebKitWebDriver` on a free port, with the environment the app will inherit.
#[derive(Debug)]
pub struct Driver {
    pub url: String,
    framebuffer: PathBuf,
    _process: ProcessGroup,
}

impl Driver {
    pub fn start(xvfb: &Xvfb, app_env: &[(&str, &Path)], log_path: &Path) -> Result<Self> {
        let display = xvfb.display.as_str();
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(log_path)?;
        let mut command = Command::new("WebKitWebDriver");
        command
            .arg(format!("--port={port}"))
            .env("DISPLAY", display)
            // Without it WebKitGTK refuses automation and session creation hangs.
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            // Keep GTK from starting an accessibility bus of its own.
            .env("NO_AT_BRIDGE", "1")
            .env_remove("VETDESK_PASSPHRASE")
            .stdout(log.try_clone()?)
            .stderr(log);
        for (key, value) in app_env {
            command.env(key, value);
        }
        let process = ProcessGroup::spawn("WebKitWebDriver", command)
            .context("WebKitWebDriver is needed (Debian package webkit2gtk-driver)")?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("WebKitWebDriver did not listen on port {port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            url,
            framebuffer: xvfb.framebuffer.clone(),
            _process: process,
        })
    }
}

/// One WebDriver session: the app's window.
#[derive(Debug)]
pub struct Session {
    base: String,
    agent: ureq::Agent,
    framebuffer: PathBuf,
}

/// A reference to an element in the page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// WebDriver's codes for keys that are not characters.
#[derive(Debug)]
pub struct Key;

impl Key {
    pub const CONTROL: &'static str = "\u{E009}";
    pub const ALT: &'static str = "\u{E00A}";
    pub const ENTER: &'static str = "\u{E007}";
    pub const ARROW_DOWN: &'static str = "\u{E015}";
}

impl Session {
    /// Launches `app` through the driver and waits for its window.
    pub fn launch(driver: &Driver, app: &Path) -> Result<Self> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "webkitgtk:browserOptions": { "binary": app, "args": [] }
            }}
        });
        let value = post(&agent, &format!("{}/session", driver.url), &capabilities)?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no sessionId in {value}"))?;
        Ok(Self {
            base: format!("{}/session/{id}", driver.url),
            agent,
            framebuffer: driver.framebuffer.clone(),
        })
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        post(&self.agent, &format!("{}{path}", self.base), body)
    }

    fn get(&self, path: &str) -> Result<Value> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .call()
            .with_context(|| format!("GET {path}"))?;
        let body: Value = response.body_mut().read_json()?;
        webdriver_value(body)
    }

    /// The first element matching `css`, or `None` right now.
    pub fn find(&self, css: &str) -> Result<Option<Element>> {
        let body = json!({ "using": "css selector", "value": css });
        match self.post("/element", &body) {
            Ok(value) => Ok(value[ELEMENT_KEY]
                .as_str()
                .map(|id| Element(id.to_string()))),
            Err(e) if e.to_string().contains("no such element") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits up to `timeout` for an element matching `css`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        self.poll(css, timeout, |element| Ok(Ok(element.clone())))
    }

    /// Waits until the element matching `css` is there and not disabled (a button the
    /// app disables while an act is under way), as a person would before clicking it.
    pub fn wait_for_enabled(&self, css: &str, timeout: Duration) -> Result<Element> {
        self.poll(css, timeout, |element| {
            Ok(match self.attribute(element, "disabled")? {
                None => Ok(element.clone()),
                Some(_) => Err("is still disabled".to_string()),
            })
        })
    }

    /// Waits until the element matching `css` has text satisfying `accept`.
    pub fn wait_for_text(
        &self,
        css: &str,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String> {
        self.poll(css, timeout, |element| {
            let text = self.text(element)?;
            Ok(if accept(&text) {
                Ok(text)
            } else {
                Err(format!("still says {text:?}"))
            })
        })
    }

    /// Polls for the element matching `css` until `check` accepts it (`Ok(Ok(value))`)
    /// or `timeout` passes; the error then says what was last seen.
    fn poll<T>(
        &self,
        css: &str,
        timeout: Duration,
        check: impl Fn(&Element) -> Result<Result<T, String>>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let not_yet = match self.find(css)? {
                Some(element) => match check(&element) {
                    Ok(Ok(value)) => return Ok(value),
                    Ok(Err(why)) => Some(why),
                    // The app re-rendered between finding the element and reading it
                    // (a view replaced by the next one): find it again.
                    Err(e) if e.to_string().contains("stale element reference") => {
                        Some("was replaced while it was read".to_string())
                    }
                    Err(e) => return Err(e),
                },
                None => None,
            };
            if Instant::now() > deadline {
                match not_yet {
                    Some(why) => bail!("{css:?} {why} after {timeout:?}"),
                    None => {
                        let body = self.text_of_page().unwrap_or_default();
                        bail!("no element {css:?} after {timeout:?}; the page says: {body:?}");
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the element matching `css` has attribute `name` satisfying `accept`.
    pub fn poll_attribute(
        &self,
        css: &str,
        name: &str,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String> {
        self.poll(css, timeout, |element| {
            let value = self.attribute(element, name)?.unwrap_or_default();
            Ok(if accept(&value) {
                Ok(value)
            } else {
                Err(format!("has {name}={value:?}"))
            })
        })
    }

    pub fn text(&self, element: &Element) -> Result<String> {
        Ok(self
            .get(&format!("/element/{}/text", element.0))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>> {
        Ok(self
            .get(&format!("/element/{}/attribute/{name}", element.0))?
            .as_str()
            .map(String::from))
    }

    pub fn click(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", element.0), &json!({}))?;
        Ok(())
    }

    pub fn clear(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/clear", element.0), &json!({}))?;
        Ok(())
    }

    pub fn type_into(&self, element: &Element, text: &str) -> Result<()> {
        self.post(
            &format!("/element/{}/value", element.0),
            &json!({ "text": text }),
        )?;
        Ok(())
    }

    /// Presses `key` with `modifier` held (`Key::CONTROL`, `Key::ALT`), as a person
    /// does, through W3C actions: the page sees real keydown/keyup events.
    pub fn chord(&self, modifier: &str, key: &str) -> Result<()> {
        let actions = json!({ "actions": [{
            "type": "key",
            "id": "keyboard",
            "actions": [
                { "type": "keyDown", "value": modifier },
                { "type": "keyDown", "value": key },
                { "type": "keyUp", "value": key },
                { "type": "keyUp", "value": modifier },
            ]
        }]});
        self.post("/actions", &actions)?;
        let _ = self.agent.delete(&format!("{}/actions", self.base)).call();
        Ok(())
    }

    /// Scrolls the element matching `css` to the middle of the window (for a screenshot).
    pub fn scroll_to(&self, css: &str) -> Result<()> {
        self.post(
            "/execute/sync",
            &json!({
                "script": "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'});",
                "args": [css]
            }),
        )?;
        Ok(())
    }

    /// Runs `script` in the page and returns its value.
    pub fn post_script(&self, script: &str) -> Result<Value> {
        self.post("/execute/sync", &json!({ "script": script, "args": [] }))
    }

    /// Runs `script` in the page; it answers by calling its last argument.
    pub fn post_async_script(&self, script: &str) -> Result<Value> {
        self.post("/execute/async", &json!({ "script": script, "args": [] }))
    }

    pub fn text_of_page(&self) -> Result<String> {
        let value = self.post(
            "/execute/sync",
            &json!({ "script": "return document.body ? document.body.innerText : ''", "args": [] }),
        )?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    /// Saves a PNG of the app's window as the X server shows it (see [`framebuffer`]),
    /// once two animation frames have painted.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        self.post(
            "/execute/async",
            &json!({
                "script": "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                "args": []
            }),
        )?;
        let window = self.get("/window/rect")?;
        let number = |key: &str| -> u32 {
            window[key]
                .as_f64()
                .map_or(0, |v| v.max(0.0).round() as u32)
        };
        let rect = framebuffer::Rect {
            x: number("x"),
            y: number("y"),
            width: number("width"),
            height: number("height"),
        };
        let bytes = std::fs::read(&self.framebuffer)
            .with_context(|| format!("read {}", self.framebuffer.display()))?;
        framebuffer::read_xwd(&bytes)?.write_png(rect, path)
    }
}

impl Drop for Session {
    /// Ends the session first, or the driver leaves the app running.
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
    }
}

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> Result<Value> {
    let mut response = agent
        .post(url)
        .send_json(body)
        .with_context(|| format!("POST {url}"))?;
    let body: Value = response.body_mut().read_json()?;
    webdriver_value(body)
}

/// The `value` of a WebDriver response, or its error as an `Err`.
fn webdriver_value(body: Value) -> Result<Value> {
    let value = body.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("{error}: {message}");
    }
    Ok(value)
}

/// The built app: `VETDESK_APP_BIN`, else `vetdesk-app` beside this test's target folder.
pub fn app_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("VETDESK_APP_BIN") {
        return Ok(PathBuf::from(path));
    }
    built_binary("vetdesk-app")
}

/// A binary of the workspace built beside the running test (`make test` builds the app
/// and the CLI before the tests): `<target>/<profile>/deps/test-<hash>` →
/// `<target>/<profile>/NAME`.
pub fn built_binary(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("unexpected test binary location {}", exe.display()))?;
    let binary = profile_dir.join(name);
    if !binary.is_file() {
        bail!(
            "{} is not built: run `make test` (it builds the UI, the app and the CLI first)",
            binary.display()
        );
    }
    Ok(binary)
}

/// The repository root (for docs/screenshots).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}
