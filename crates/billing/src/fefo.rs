//! First expiry, first out: which stock lots a sale or a dispensing takes from.
//!
//! Lots that have expired are never picked (they are written off, not sold). Among the
//! rest, the one expiring first goes first; a lot without an expiry date goes after
//! every dated one; ties go by lot id so every device picks alike. When the lots hold
//! less than asked, the shortfall is still taken — from the last lot picked, else the
//! latest-expiring lot that has not expired, else no lot at all — so the sale is never
//! refused at the counter, stock goes below zero, and the caller raises a
//! reconciliation alert for `short_milli`.

use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

/// A lot and what it holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotStock {
    pub lot_id: Uuid,
    pub expires_on: Option<Date>,
    /// Thousandths of a unit; may be negative after offline sales.
    pub on_hand_milli: i64,
}

/// Take `quantity_milli` from `lot_id` (`None`: the item has no usable lot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub lot_id: Option<Uuid>,
    pub quantity_milli: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picking {
    pub picks: Vec<Pick>,
    /// How much more was taken than the lots held.
    pub short_milli: i64,
}

/// Whether a lot can be sold from on `today` (its expiry day included).
pub fn usable(lot: &LotStock, today: Date) -> bool {
    lot.expires_on.is_none_or(|d| d >= today)
}

/// Picks `quantity_milli` (> 0) across `lots`, first expiry first.
pub fn pick(lots: &[LotStock], quantity_milli: i64, today: Date) -> Picking {
    let mut order: Vec<&LotStock> = lots.iter().filter(|l| usable(l, today)).collect();
    order.sort_by_key(|l| (l.expires_on.is_none(), l.expires_on, l.lot_id));
    let mut picks: Vec<Pick> = Vec::new();
    let mut left = quantity_milli.max(0);
    for lot in &order {
        if left == 0 {
            break;
        }
        if lot.on_hand_milli <= 0 {
            continue;
        }
        let take = lot.on_hand_milli.min(left);
        picks.push(Pick {
            lot_id: Some(lot.lot_id),
            quantity_milli: take,
        });
        left -= take;
    }
    if left > 0 {
        match picks.last_mut() {
            Some(last) => last.quantity_milli += left,
            None => picks.push(Pick {
                lot_id: order.last().map(|l| l.lot_id),
                quantity_milli: left,
            }),
        }
    }
    Picking {
        picks,
        short_milli: left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn lot(n: u128, expires: Option<Date>, on_hand: i64) -> LotStock {
        LotStock {
            lot_id: Uuid::from_u128(n),
            expires_on: expires,
            on_hand_milli: on_hand,
        }
    }

    fn picked(p: &Picking) -> Vec<(Option<u128>, i64)> {
        p.picks
            .iter()
            .map(|x| (x.lot_id.map(|l| l.as_u128()), x.quantity_milli))
            .collect()
    }

    const TODAY: Date = date!(2026 - 11 - 22);

    #[test]
    fn case_table() {
        let lots = vec![
            lot(1, Some(date!(2027 - 06 - 01)), 5000),
            lot(2, Some(date!(2026 - 12 - 01)), 2000),
            lot(3, None, 10_000),
            lot(4, Some(date!(2026 - 11 - 21)), 9000), // expired yesterday
            lot(5, Some(date!(2026 - 11 - 22)), 1000), // expires today: still usable
        ];
        for (quantity, expected, short) in [
            (500, vec![(Some(5), 500)], 0),
            (1000, vec![(Some(5), 1000)], 0),
            (2500, vec![(Some(5), 1000), (Some(2), 1500)], 0),
            (
                8000,
                vec![(Some(5), 1000), (Some(2), 2000), (Some(1), 5000)],
                0,
            ),
            (
                9000,
                vec![
                    (Some(5), 1000),
                    (Some(2), 2000),
                    (Some(1), 5000),
                    (Some(3), 1000),
                ],
                0,
            ),
            // More than all usable lots hold: the rest from the last lot picked.
            (
                20_000,
                vec![
                    (Some(5), 1000),
                    (Some(2), 2000),
                    (Some(1), 5000),
                    (Some(3), 12_000),
                ],
                2000,
            ),
        ] {
            let p = pick(&lots, quantity, TODAY);
            assert_eq!(picked(&p), expected, "{quantity}");
            assert_eq!(p.short_milli, short, "{quantity}");
            assert_eq!(
                p.picks.iter().map(|x| x.quantity_milli).sum::<i64>(),
                quantity
            );
        }
    }

    #[test]
    fn the_last_vial_sold_twice_goes_below_zero_not_refused() {
        // This register's view after another sold the last vial: the lot is at 0.
        let lots = vec![lot(7, Some(date!(2027 - 01 - 01)), 0)];
        let p = pick(&lots, 1000, TODAY);
        assert_eq!(picked(&p), vec![(Some(7), 1000)]);
        assert_eq!(p.short_milli, 1000);
    }

    #[test]
    fn only_expired_stock_or_none_at_all() {
        let expired = vec![lot(4, Some(date!(2026 - 01 - 01)), 9000)];
        let p = pick(&expired, 1000, TODAY);
        assert_eq!(picked(&p), vec![(None, 1000)]);
        assert_eq!(p.short_milli, 1000);
        let p = pick(&[], 250, TODAY);
        assert_eq!(picked(&p), vec![(None, 250)]);
    }

    #[test]
    fn negative_lots_are_skipped_and_ties_go_by_lot_id() {
        let lots = vec![
            lot(9, Some(date!(2027 - 01 - 01)), 1000),
            lot(8, Some(date!(2027 - 01 - 01)), 1000),
            lot(6, Some(date!(2026 - 12 - 01)), -2000),
        ];
        let p = pick(&lots, 1500, TODAY);
        assert_eq!(picked(&p), vec![(Some(8), 1000), (Some(9), 500)]);
    }
}
