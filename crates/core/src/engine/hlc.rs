//! Hybrid logical clocks: the timestamps that order every change in the change log.
//!
//! An [`Hlc`] is 16 bytes, big-endian: 48 bits of wall-clock milliseconds, a 16-bit
//! counter, and the 64-bit node (device) id. Comparing the bytes compares the times,
//! so an HLC can be a database key or sort column as it is, and two devices never
//! produce the same value (their nodes differ).
//!
//! [`Clock`] is pure: the caller passes the wall-clock time in and persists
//! [`Clock::last`] in the same transaction as the write it stamped, so the clock stays
//! monotonic across restarts (restore it with [`Clock::resume`]). A remote timestamp
//! too far ahead of our wall clock is refused and left out of the clock
//! ([`HlcError::RemoteTooFarAhead`]): one device with a wrong clock must not drag every
//! other device's clock into the future (see ../shared/design/SYNC.md).

use std::fmt;

/// Largest wall-clock value an HLC holds: 2^48 − 1 ms, in the year 10889.
pub const MAX_MILLIS: u64 = (1 << 48) - 1;

/// How far ahead of our wall clock a remote timestamp may be before it is refused.
pub const DEFAULT_MAX_REMOTE_AHEAD_MS: u64 = 60 * 60 * 1000;

/// A hybrid logical clock timestamp. The derived order (millis, counter, node) is the
/// order of [`Hlc::to_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    millis: u64,
    counter: u16,
    node: u64,
}

/// Why a clock operation was refused. The clock is unchanged after any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HlcError {
    #[error(
        "a timestamp of {remote_ms} ms is {ahead_ms} ms ahead of this device's clock ({local_ms} ms), more than the {bound_ms} ms allowed: one of the two clocks is wrong"
    )]
    RemoteTooFarAhead {
        remote_ms: u64,
        local_ms: u64,
        ahead_ms: u64,
        bound_ms: u64,
    },
    #[error("wall-clock time {0} ms is beyond what a timestamp can hold")]
    OutOfRange(u64),
}

impl Hlc {
    pub fn new(millis: u64, counter: u16, node: u64) -> Result<Self, HlcError> {
        if millis > MAX_MILLIS {
            return Err(HlcError::OutOfRange(millis));
        }
        Ok(Self {
            millis,
            counter,
            node,
        })
    }

    pub fn millis(&self) -> u64 {
        self.millis
    }

    pub fn counter(&self) -> u16 {
        self.counter
    }

    pub fn node(&self) -> u64 {
        self.node
    }

    /// The 16-byte big-endian form: byte order is time order.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..6].copy_from_slice(&self.millis.to_be_bytes()[2..]);
        out[6..8].copy_from_slice(&self.counter.to_be_bytes());
        out[8..].copy_from_slice(&self.node.to_be_bytes());
        out
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        let mut millis = [0u8; 8];
        millis[2..].copy_from_slice(&bytes[..6]);
        let mut node = [0u8; 8];
        node.copy_from_slice(&bytes[8..]);
        Self {
            millis: u64::from_be_bytes(millis),
            counter: u16::from_be_bytes([bytes[6], bytes[7]]),
            node: u64::from_be_bytes(node),
        }
    }
}

impl fmt::Display for Hlc {
    /// `millis-counter-node` in hex, fixed width, so text order is also time order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:012x}-{:04x}-{:016x}",
            self.millis, self.counter, self.node
        )
    }
}

/// One device's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    last: Hlc,
}

impl Clock {
    /// A clock that has issued nothing yet.
    pub fn new(node: u64) -> Self {
        Self {
            last: Hlc {
                millis: 0,
                counter: 0,
                node,
            },
        }
    }

    /// A clock restored from its last persisted timestamp: everything it issues from
    /// now on is later than `last`, whatever the wall clock says.
    pub fn resume(last: Hlc) -> Self {
        Self { last }
    }

    /// The latest timestamp issued or observed: what to persist.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A new timestamp for a local event, later than every one before it.
    pub fn tick(&mut self, wall_ms: u64) -> Result<Hlc, HlcError> {
        if wall_ms > MAX_MILLIS {
            return Err(HlcError::OutOfRange(wall_ms));
        }
        let next = if wall_ms > self.last.millis {
            (wall_ms, 0)
        } else {
            self.successor_of(self.last.millis, self.last.counter)?
        };
        self.last = Hlc::new(next.0, next.1, self.last.node)?;
        Ok(self.last)
    }

    /// Takes a remote timestamp into account, so every later [`Clock::tick`] is after
    /// it. Refuses one more than `max_ahead_ms` ahead of our wall clock.
    pub fn observe(
        &mut self,
        remote: Hlc,
        wall_ms: u64,
        max_ahead_ms: u64,
    ) -> Result<(), HlcError> {
        if wall_ms > MAX_MILLIS {
            return Err(HlcError::OutOfRange(wall_ms));
        }
        let ahead_ms = remote.millis.saturating_sub(wall_ms);
        if ahead_ms > max_ahead_ms {
            return Err(HlcError::RemoteTooFarAhead {
                remote_ms: remote.millis,
                local_ms: wall_ms,
                ahead_ms,
                bound_ms: max_ahead_ms,
            });
        }
        let millis = wall_ms.max(self.last.millis).max(remote.millis);
        let counter_floor = match (millis == self.last.millis, millis == remote.millis) {
            (true, true) => Some(self.last.counter.max(remote.counter)),
            (true, false) => Some(self.last.counter),
            (false, true) => Some(remote.counter),
            (false, false) => None,
        };
        let next = match counter_floor {
            Some(counter) => self.successor_of(millis, counter)?,
            None => (millis, 0),
        };
        self.last = Hlc::new(next.0, next.1, self.last.node)?;
        Ok(())
    }

    /// The (millis, counter) right after the given one: the counter goes up, and when
    /// it is full the logical time moves on by a millisecond.
    fn successor_of(&self, millis: u64, counter: u16) -> Result<(u64, u16), HlcError> {
        match counter.checked_add(1) {
            Some(counter) => Ok((millis, counter)),
            None if millis < MAX_MILLIS => Ok((millis + 1, 0)),
            None => Err(HlcError::OutOfRange(millis + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u64 = 60 * 60 * 1000;

    fn hlc(millis: u64, counter: u16, node: u64) -> Hlc {
        Hlc::new(millis, counter, node).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn tick_follows_the_wall_clock_and_counts_within_a_millisecond() -> Result<(), HlcError> {
        let mut clock = Clock::new(7);
        // (wall clock, expected millis, expected counter)
        let cases = [
            (1000, 1000, 0),
            (1000, 1000, 1),
            (1001, 1001, 0),
            (900, 1001, 1),
            (1001, 1001, 2),
            (1500, 1500, 0),
        ];
        for (wall, millis, counter) in cases {
            assert_eq!(clock.tick(wall)?, hlc(millis, counter, 7), "wall {wall}");
        }
        Ok(())
    }

    #[test]
    fn a_full_counter_moves_logical_time_on() -> Result<(), HlcError> {
        let mut clock = Clock::resume(hlc(5000, u16::MAX, 1));
        assert_eq!(clock.tick(4000)?, hlc(5001, 0, 1));
        Ok(())
    }

    #[test]
    fn observe_case_table() -> Result<(), HlcError> {
        // (last, remote, wall) → last after observing
        let cases = [
            // Wall clock ahead of both: it wins, counter resets.
            (hlc(100, 3, 1), hlc(90, 9, 2), 200, hlc(200, 0, 1)),
            // Remote ahead (within bound): adopt its time, one past its counter.
            (hlc(100, 3, 1), hlc(150, 9, 2), 120, hlc(150, 10, 1)),
            // Ours ahead: keep our time, one past our counter.
            (hlc(150, 3, 1), hlc(100, 9, 2), 120, hlc(150, 4, 1)),
            // All equal: one past the larger counter.
            (hlc(150, 3, 1), hlc(150, 9, 2), 150, hlc(150, 10, 1)),
        ];
        for (last, remote, wall, expected) in cases {
            let mut clock = Clock::resume(last);
            clock.observe(remote, wall, HOUR)?;
            assert_eq!(
                clock.last(),
                expected,
                "last {last}, remote {remote}, wall {wall}"
            );
            assert!(clock.tick(wall)? > remote);
        }
        Ok(())
    }

    #[test]
    fn a_remote_clock_beyond_the_bound_is_refused_and_not_adopted() {
        let mut clock = Clock::resume(hlc(1_000_000, 0, 1));
        let before = clock.clone();
        let remote = hlc(1_000_000 + 2 * HOUR, 0, 2);
        let err = clock.observe(remote, 1_000_000, HOUR);
        assert_eq!(
            err,
            Err(HlcError::RemoteTooFarAhead {
                remote_ms: 1_000_000 + 2 * HOUR,
                local_ms: 1_000_000,
                ahead_ms: 2 * HOUR,
                bound_ms: HOUR
            })
        );
        assert_eq!(clock, before);
        // Exactly at the bound is still accepted.
        assert!(
            clock
                .observe(hlc(1_000_000 + HOUR, 0, 2), 1_000_000, HOUR)
                .is_ok()
        );
    }

    #[test]
    fn text_and_bytes_have_fixed_forms() {
        let t = hlc(0x0123_4567_89ab, 0xcdef, 0x0011_2233_4455_6677);
        assert_eq!(t.to_string(), "0123456789ab-cdef-0011223344556677");
        assert_eq!(
            t.to_bytes(),
            [
                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                0x66, 0x77
            ]
        );
        assert!(Hlc::new(MAX_MILLIS + 1, 0, 0).is_err());
    }

    fn any_hlc() -> impl Strategy<Value = Hlc> {
        (0..=MAX_MILLIS, any::<u16>(), any::<u64>()).prop_map(|(m, c, n)| hlc(m, c, n))
    }

    #[derive(Debug, Clone)]
    enum Event {
        Tick {
            wall: u64,
        },
        Observe {
            remote_millis: u64,
            remote_counter: u16,
            wall: u64,
        },
        Restart,
    }

    fn any_event() -> impl Strategy<Value = Event> {
        let wall = 1_000_000..1_000_000 + 10 * HOUR;
        prop_oneof![
            wall.clone().prop_map(|wall| Event::Tick { wall }),
            (0..1_000_000 + 12 * HOUR, any::<u16>(), wall).prop_map(
                |(remote_millis, remote_counter, wall)| Event::Observe {
                    remote_millis,
                    remote_counter,
                    wall
                }
            ),
            Just(Event::Restart),
        ]
    }

    proptest! {
        #[test]
        fn byte_order_is_time_order(a in any_hlc(), b in any_hlc()) {
            prop_assert_eq!(a.cmp(&b), a.to_bytes().cmp(&b.to_bytes()));
            prop_assert_eq!(Hlc::from_bytes(a.to_bytes()), a);
            prop_assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
        }

        /// Whatever the wall clock does (jumps back, stalls), whatever arrives from other
        /// devices, and across restarts from the persisted value: every timestamp issued
        /// is later than everything issued or accepted before it.
        #[test]
        fn the_clock_is_monotonic_across_restarts_and_remote_skew(events in prop::collection::vec(any_event(), 1..200)) {
            let mut clock = Clock::new(42);
            let mut persisted = clock.last();
            let mut latest_seen: Option<Hlc> = None;
            for event in events {
                match event {
                    Event::Tick { wall } => {
                        let t = clock.tick(wall).map_err(|e| TestCaseError::fail(e.to_string()))?;
                        if let Some(seen) = latest_seen {
                            prop_assert!(t > seen, "{} not after {}", t, seen);
                        }
                        prop_assert_eq!(t.node(), 42);
                        latest_seen = Some(t);
                        persisted = clock.last();
                    }
                    Event::Observe { remote_millis, remote_counter, wall } => {
                        let remote = hlc(remote_millis, remote_counter, 7);
                        let before = clock.clone();
                        match clock.observe(remote, wall, HOUR) {
                            Ok(()) => {
                                prop_assert!(remote_millis <= wall + HOUR);
                                latest_seen = Some(latest_seen.map_or(remote, |s| s.max(remote)));
                                persisted = clock.last();
                            }
                            Err(HlcError::RemoteTooFarAhead { .. }) => {
                                prop_assert!(remote_millis > wall + HOUR);
                                prop_assert_eq!(&clock, &before);
                            }
                            Err(e) => return Err(TestCaseError::fail(e.to_string())),
                        }
                    }
                    Event::Restart => clock = Clock::resume(persisted),
                }
            }
        }
    }
}
