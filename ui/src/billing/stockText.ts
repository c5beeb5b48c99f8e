// A stock alert as one sentence in the UI's language (pure, for the inventory view,
// the owner's dashboard and their tests).
import type { StockAlert } from '../ipc/bindings'
import type { Translate } from '../shared/i18n'
import { formatMilli } from './money'

export function describeAlert(alert: StockAlert, t: Translate): string {
  switch (alert.kind) {
    case 'finalized_twice':
      return t('stock.alert.finalized_twice', { numbers: alert.numbers.join(', ') })
    case 'reconcile':
      return t('stock.alert.reconcile', { item: alert.item, on_hand: formatMilli(alert.on_hand_milli) })
    case 'reorder':
      return t('stock.alert.reorder', {
        item: alert.item,
        on_hand: formatMilli(alert.on_hand_milli),
        level: formatMilli(alert.reorder_level_milli),
      })
    case 'expiring':
      return t('stock.alert.expiring', {
        item: alert.item,
        lot: alert.lot_number,
        on_hand: formatMilli(alert.on_hand_milli),
        date: alert.expires_on,
      })
    case 'discrepancy':
      return t('stock.alert.discrepancy', {
        item: alert.item,
        counted: formatMilli(alert.counted_milli),
        register: formatMilli(alert.register_milli),
      })
  }
}
