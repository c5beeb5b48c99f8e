// The stock take (Inventory → Stock take): every stocked item with what the store
// expects on the shelf and a box for what was counted; the counts are recorded in one
// act — items that are not controlled are adjusted to the count, and a controlled
// drug that disagrees with its register is flagged, not adjusted (core's rule).
import { useState, type FormEvent } from 'react'
import type { StockLevel } from '../ipc/bindings'
import { useIpcMutation } from '../ipc/query'
import { ErrorText } from '../shared/forms'
import { useT } from '../shared/i18n'
import { formatMilli } from './money'

export function StockTake({ levels }: { levels: StockLevel[] }) {
  const t = useT()
  const [counted, setCounted] = useState<Record<string, string>>({})
  const [note, setNote] = useState('')
  const take = useIpcMutation('stockTake')
  const counts = Object.entries(counted)
    .filter(([, value]) => value.trim() !== '')
    .map(([item_id, value]) => ({ item_id, counted: value.trim() }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    take.mutate({ counts, note }, { onSuccess: () => setCounted({}) })
  }
  const outcomes = take.data ?? []
  return (
    <form onSubmit={submit} aria-label={t('take.title')} data-testid="stock-take">
      <table className="table">
        <thead>
          <tr>
            <th>{t('stock.item')}</th>
            <th className="num">{t('take.expected')}</th>
            <th>{t('stock.counted')}</th>
          </tr>
        </thead>
        <tbody>
          {levels.map((level) => (
            <tr key={level.item.id} data-item={level.item.sku}>
              <td>
                <label htmlFor={`take-${level.item.id}`}>{level.item.name}</label>
              </td>
              <td className="num">{formatMilli(level.on_hand_milli)}</td>
              <td>
                <input
                  id={`take-${level.item.id}`}
                  value={counted[level.item.id] ?? ''}
                  inputMode="decimal"
                  size={6}
                  onChange={(e) => setCounted((c) => ({ ...c, [level.item.id]: e.target.value }))}
                  data-testid="take-counted"
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label>
        {t('stock.note')}
        <input value={note} onChange={(e) => setNote(e.target.value)} data-testid="take-note" />
      </label>
      <button type="submit" className="primary" disabled={take.isPending || counts.length === 0} data-testid="record-take">
        {t('take.record', { count: counts.length })}
      </button>
      {take.error && <ErrorText error={take.error} />}
      {outcomes.length > 0 && (
        <p role="status" data-testid="take-done">
          {t('take.done', {
            count: outcomes.length,
            adjusted: outcomes.filter((o) => o.adjusted).length,
            discrepancies: outcomes.filter((o) => o.discrepancy).length,
          })}
        </p>
      )}
    </form>
  )
}
