//! Test-only helpers shared by the workspace's integration tests and benchmarks.
//!
//! An ephemeral PostgreSQL cluster, started by the tests themselves: `initdb` into a temporary folder, `postgres` on a free loopback port with
//! fsync off, and a fresh database for every test. Needs the PostgreSQL server binaries
//! (Debian's `postgresql-15`, installed by `scripts/setup.sh test`); as root, the
//! cluster runs as the `postgres` user because initdb refuses root.
//!
//! [`OwnCluster`] is one test's own cluster, for tests that crash and restart
//! PostgreSQL.
//!
//! The cluster is shared by the tests of one test process and stops when that process
//! exits: it is started from a thread that lives as long as the process, with
//! `PR_SET_PDEATHSIG` (via `setpriv --pdeathsig`) so it dies with it, even on a panic
//! or a kill.
//!
//! ## What it provides
//!
//! An ephemeral PostgreSQL cluster (initdb as `postgres` when root, a free port, fsync off,
//! a fresh database per test, stopped by parent-death signal), used by the sync server's
//! tests and the cross-crate sync test; `OwnCluster`, a cluster one test owns and may
//! crash (`SIGQUIT`, immediate shutdown) and restart on the same port;
//! `print_bench_table`, `test_models_dir` and `peak_rss_kb` for the benchmarks and the
//! scribe's tests. Never a dependency of shipped code.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

#[derive(Debug)]
pub struct Cluster {
    pub port: u16,
    _dir: tempfile::TempDir,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

/// A new, empty database in the shared cluster; returns its URL.
pub async fn fresh_database_url() -> String {
    let cluster = match CLUSTER.get_or_init(start_cluster_on_keeper_thread) {
        Ok(c) => c,
        Err(e) => panic!("cannot start the test PostgreSQL cluster: {e}"),
    };
    create_database(cluster.port).await
}

async fn create_database(port: u16) -> String {
    let name = format!("t_{}", uuid_like());
    let admin_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("connect to test cluster: {e}"));
    // The name is ours (pid, clock, counter: digits and underscores), not input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("create database: {e}"));
    format!("postgres://postgres@127.0.0.1:{port}/{name}")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts the cluster from a thread that never ends, so the parent-death signal fires
/// only when the whole test process goes away (it is tied to the spawning thread).
fn start_cluster_on_keeper_thread() -> Result<Cluster, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("pg-keeper".into())
        .spawn(move || {
            let started = start_cluster();
            let (result, child) = match started {
                Ok((cluster, child)) => (Ok(cluster), Some(child)),
                Err(e) => (Err(e), None),
            };
            let _ = tx.send(result);
            // Keep the thread (and so the postmaster's parent-death link) alive.
            let _child: Option<Child> = child;
            loop {
                std::thread::park();
            }
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|e| e.to_string())?
}

fn start_cluster() -> Result<(Cluster, Child), String> {
    remove_stale_clusters();
    let (dir, port) = init_cluster()?;
    let child = spawn_postgres(dir.path(), port, Durability::Off)?;
    Ok((Cluster { port, _dir: dir }, child))
}

/// A fresh cluster folder (`data/`, `sock/`), initialised, and a free port for it.
fn init_cluster() -> Result<(tempfile::TempDir, u16), String> {
    let bin = postgres_bin_dir()?;
    let dir = tempfile::Builder::new()
        .prefix("vetdesk-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(dir.path().join("sock")).map_err(|e| e.to_string())?;
    let as_root = is_root();
    if as_root {
        chown_to_postgres(dir.path())?;
    }
    let mut initdb = as_cluster_user(as_root, &bin.join("initdb"));
    initdb.args(["-D"]).arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--no-sync",
        "--locale=C",
    ]);
    let out = initdb.output().map_err(|e| format!("run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((dir, free_port()?))
}

/// Whether commits reach the disk: off for tests (fast; a crash of PostgreSQL alone
/// still loses nothing the OS has), on for benchmarks that must count the flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Off,
    /// PostgreSQL's defaults: fsync, synchronous commit, full-page writes.
    Full,
}

/// Starts the postmaster of the cluster in `dir` on `port` and waits until it accepts.
fn spawn_postgres(dir: &Path, port: u16, durability: Durability) -> Result<Child, String> {
    let bin = postgres_bin_dir()?;
    let mut postgres = as_cluster_user(is_root(), &bin.join("postgres"));
    postgres
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-p", &port.to_string(), "-k"])
        .arg(dir.join("sock"))
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
        ]);
    if durability == Durability::Off {
        postgres.args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]);
    }
    postgres.stdout(Stdio::null()).stderr(Stdio::null());
    let child = postgres
        .spawn()
        .map_err(|e| format!("start postgres: {e}"))?;
    wait_until_accepting(port)?;
    Ok(child)
}

/// A cluster of one test's own, which the test may crash and restart (the shared
/// cluster must not be: other tests use it). Stops when dropped.
#[derive(Debug)]
pub struct OwnCluster {
    port: u16,
    durability: Durability,
    dir: tempfile::TempDir,
    postmaster: Option<Child>,
}

impl OwnCluster {
    pub fn start() -> Result<Self, String> {
        Self::start_with(Durability::Off)
    }

    pub fn start_with(durability: Durability) -> Result<Self, String> {
        let (dir, port) = init_cluster()?;
        let postmaster = Some(spawn_postgres(dir.path(), port, durability)?);
        Ok(Self {
            port,
            durability,
            dir,
            postmaster,
        })
    }

    /// A new, empty database in this cluster; returns its URL.
    pub async fn fresh_database_url(&self) -> String {
        create_database(self.port).await
    }

    /// PostgreSQL crashes: an immediate shutdown (SIGQUIT), no checkpoint; its
    /// connections drop at once. The next [`restart`](Self::restart) runs crash recovery.
    pub fn crash(&mut self) -> Result<(), String> {
        let Some(mut postmaster) = self.postmaster.take() else {
            return Ok(());
        };
        let status = Command::new("kill")
            .args(["-QUIT", &postmaster.id().to_string()])
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("kill -QUIT postgres failed".into());
        }
        postmaster.wait().map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Starts PostgreSQL again on the same data and port.
    pub fn restart(&mut self) -> Result<(), String> {
        self.crash()?;
        self.postmaster = Some(spawn_postgres(self.dir.path(), self.port, self.durability)?);
        Ok(())
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = self.crash();
    }
}

/// `setpriv` runs the binary as the cluster's user (postgres, when we are root) and
/// makes the kernel send it SIGQUIT (immediate shutdown) when its parent thread dies.
fn as_cluster_user(as_root: bool, program: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.arg("--pdeathsig=QUIT");
    if as_root {
        cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
    }
    cmd.arg("--").arg(program);
    cmd
}

fn wait_until_accepting(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            // Accepting TCP is not yet accepting logins; give the startup a moment.
            std::thread::sleep(Duration::from_millis(200));
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "postgres did not start listening on port {port} within 30 s"
    ))
}

/// Clusters of earlier test processes cannot remove their own folders (they end with
/// the process); remove those whose postmaster is gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("vetdesk-pg-")
        {
            continue;
        }
        let pid_file = entry.path().join("data/postmaster.pid");
        let alive = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.lines().next().map(str::trim).map(String::from))
            .is_some_and(|pid| Path::new("/proc").join(pid).exists());
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn chown_to_postgres(path: &Path) -> Result<(), String> {
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(path)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!(
            "chown {} to postgres failed (is the postgres user there? scripts/setup.sh test installs it)",
            path.display()
        ));
    }
    Ok(())
}

/// `VETDESK_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`, else `initdb` on PATH.
fn postgres_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("VETDESK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    if let Some((_, bin)) = candidates.pop() {
        return Ok(bin);
    }
    let which = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .map_err(|e| e.to_string())?;
    let path = String::from_utf8_lossy(&which.stdout).trim().to_string();
    PathBuf::from(&path)
        .parent()
        .map(Path::to_path_buf)
        .filter(|_| !path.is_empty())
        .ok_or_else(|| {
            "no PostgreSQL server binaries found: run scripts/setup.sh test (installs postgresql-15) or set VETDESK_PG_BIN".into()
        })
}

/// Prints benchmark rows (benchmark, vetdesk, baseline, ratio, target) as a Markdown
/// table, the format `docs/BENCHMARKS.md` quotes.
pub fn print_bench_table(rows: &[[String; 5]]) {
    let header = [
        "benchmark",
        "vetdesk",
        "baseline (same run)",
        "ratio",
        "target",
    ]
    .map(String::from);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(&header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&rule);
    for row in rows {
        line(row);
    }
}

/// Where `scripts/setup.sh test` keeps the Whisper test models (`VETDESK_TEST_MODELS`
/// overrides): `ct2-tiny.en/` and `ct2-base/`, CTranslate2 packages from PyPI.
pub fn test_models_dir() -> PathBuf {
    std::env::var_os("VETDESK_TEST_MODELS").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/vetdesk/test-models")
        },
        PathBuf::from,
    )
}

/// A running process's peak resident set so far (`VmHWM` of `/proc/PID/status`, or of
/// this process for `None`), in KiB; 0 once it is gone.
pub fn peak_rss_kb(pid: Option<u32>) -> u64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A private PulseAudio daemon with a virtual microphone: whatever is played into its
/// null sink `vsink` comes out of the source `virtmic` (16 kHz mono). A program gets it
/// with `PULSE_SERVER=`[`server`](Self::server) and `PULSE_SOURCE=virtmic`. Stopped on
/// drop.
#[derive(Debug)]
pub struct VirtualMicrophone {
    daemon: std::process::Child,
    socket: PathBuf,
}

impl VirtualMicrophone {
    /// Starts the daemon with its runtime files in `dir`.
    pub fn start(dir: &Path) -> Self {
        let socket = dir.join("native");
        let script = dir.join("virtmic.pa");
        std::fs::write(
            &script,
            format!(
                "load-module module-native-protocol-unix auth-anonymous=1 socket={}\n\
                 load-module module-null-sink sink_name=vsink rate=16000 channels=1 format=s16le\n\
                 load-module module-remap-source master=vsink.monitor source_name=virtmic channels=1\n\
                 set-default-source virtmic\n",
                socket.display()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let daemon = std::process::Command::new("pulseaudio")
            .args(["-n", "-F"])
            .arg(&script)
            .args(["--daemonize=no", "--exit-idle-time=-1"])
            .env("XDG_RUNTIME_DIR", dir)
            .env("HOME", dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("pulseaudio: {e} (scripts/setup.sh test installs it)"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while !socket.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "pulseaudio did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { daemon, socket }
    }

    /// The `PULSE_SERVER` value that reaches this daemon.
    pub fn server(&self) -> String {
        format!("unix:{}", self.socket.display())
    }

    /// Plays `wav` into the microphone, as if spoken into it; returns when it has played.
    pub fn play(&self, wav: &Path) {
        let played = std::process::Command::new("paplay")
            .args(["-d", "vsink"])
            .arg(wav)
            .env("PULSE_SERVER", self.server())
            .status()
            .unwrap_or_else(|e| panic!("paplay: {e}"));
        assert!(played.success(), "paplay failed");
    }
}

impl Drop for VirtualMicrophone {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// `text` spoken by espeak-ng (American English, 150 words a minute) into `wav`.
pub fn speak(wav: &Path, text: &str) {
    let spoke = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(wav)
        .arg(text)
        .status()
        .unwrap_or_else(|e| panic!("espeak-ng: {e} (scripts/setup.sh test installs it)"));
    assert!(spoke.success(), "espeak-ng failed");
}
