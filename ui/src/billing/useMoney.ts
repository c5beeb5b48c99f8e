// Amounts in the clinic's currency, for any view: the currency comes from the clinic's
// settings (read once per screen, again after any write), so a currency an admin sets
// shows everywhere at once. Until the settings answer, amounts show bare.
import { useCallback } from 'react'
import { useIpcQuery } from '../ipc/query'
import { formatMoney } from './money'

/** `money(1250)` → "£12.50" in a clinic that prices in pounds. */
export function useMoney(): (cents: number) => string {
  const currency = useIpcQuery('clinicSettings', undefined).data?.currency
  return useCallback((cents: number) => formatMoney(cents, currency), [currency])
}
