//! Where the store gets the time and new ids. Core never reads the clock deep inside:
//! a store is handed a [`TimeSource`] (the system clock by default, a settable one in
//! tests and the demo) and an [`IdSource`] (random UUIDv7s, or seeded ones so a demo
//! clinic is the same clinic every time).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::OffsetDateTime;
use uuid::Uuid;

/// The wall clock, as the store sees it.
pub trait TimeSource: Send + Sync + fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock: the one place core reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl TimeSource for SystemClock {
    #[allow(clippy::disallowed_methods)] // the injected default, replaceable in tests
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that says what it is told: for tests (skew, restarts) and the demo.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(time: OffsetDateTime) -> Self {
        Self(Arc::new(AtomicI64::new(unix_ms(time))))
    }

    pub fn set(&self, time: OffsetDateTime) {
        self.0.store(unix_ms(time), Ordering::SeqCst);
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl TimeSource for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let ms = self.0.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Milliseconds since the Unix epoch (negative before it).
pub fn unix_ms(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Where new row ids come from.
#[derive(Debug, Clone, Default)]
pub enum IdSource {
    /// `Uuid::now_v7()`.
    #[default]
    Random,
    /// UUIDv7s whose random bits come from a seeded generator and whose time is the
    /// store's time source: the same seed and clock give the same ids.
    Seeded(Box<ChaCha8Rng>),
}

impl IdSource {
    pub fn seeded(seed: u64) -> Self {
        IdSource::Seeded(Box::new(ChaCha8Rng::seed_from_u64(seed)))
    }

    pub fn next(&mut self, now: OffsetDateTime) -> Uuid {
        match self {
            IdSource::Random => Uuid::now_v7(),
            IdSource::Seeded(rng) => {
                let ms = u64::try_from(unix_ms(now)).unwrap_or(0);
                let random: [u8; 10] = rng.random();
                uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_and_are_v7() {
        let t =
            OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap_or_else(|e| panic!("{e}"));
        let (mut a, mut b) = (IdSource::seeded(5), IdSource::seeded(5));
        let ids: Vec<Uuid> = (0..3).map(|_| a.next(t)).collect();
        assert_eq!(ids, (0..3).map(|_| b.next(t)).collect::<Vec<_>>());
        assert!(ids.iter().all(|id| id.get_version_num() == 7));
        assert_ne!(ids[0], ids[1]);
    }

    #[test]
    fn a_manual_clock_moves_when_told() {
        let t =
            OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap_or_else(|e| panic!("{e}"));
        let clock = ManualClock::at(t);
        clock.advance_ms(1500);
        assert_eq!(unix_ms(clock.now()), 1_790_000_001_500);
    }
}
