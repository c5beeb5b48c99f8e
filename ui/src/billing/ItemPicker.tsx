// Choosing a catalog item for a line as you type or scan: name, SKU or barcode, the
// hits under the box (↑/↓ choose, Enter takes the chosen one, Esc clears), each with
// its price and what is in stock; once chosen the item's name shows with a way to
// change it. The search is core's (`sale_items`), the same the counter sale uses.
import { useState, type KeyboardEvent } from 'react'
import type { SaleItem } from '../ipc/bindings'
import { useIpcQuery } from '../ipc/query'
import { ErrorText } from '../shared/forms'
import { useT } from '../shared/i18n'
import { ItemHits } from './ItemHits'
import { useMoney } from './useMoney'

export function ItemPicker({
  chosen,
  onChoose,
  testId,
}: {
  chosen: SaleItem | null
  onChoose: (item: SaleItem | null) => void
  /** Prefix of the parts' test ids: `${testId}-search`, `-hits`, `-chosen`. */
  testId: string
}) {
  const t = useT()
  const money = useMoney()
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const typed = query.trim()
  const hits = useIpcQuery('saleItems', { query: typed }, { enabled: chosen === null && typed !== '', keepPrevious: true })
  const shown = typed === '' ? [] : (hits.data ?? [])
  const at = Math.min(active, Math.max(shown.length - 1, 0))
  const choose = (item: SaleItem) => {
    onChoose(item)
    setQuery('')
    setActive(0)
  }
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault()
      setActive(Math.min(at + 1, Math.max(shown.length - 1, 0)))
    } else if (event.key === 'ArrowUp') {
      event.preventDefault()
      setActive(Math.max(at - 1, 0))
    } else if (event.key === 'Enter' && shown[at]) {
      event.preventDefault()
      choose(shown[at])
    } else if (event.key === 'Escape') {
      setQuery('')
    }
  }
  if (chosen) {
    return (
      <span className="chosen-item">
        <span data-testid={`${testId}-chosen`}>
          {chosen.name} — {money(chosen.price_cents)}
        </span>{' '}
        <button type="button" className="link" onClick={() => onChoose(null)}>
          {t('board.change_patient')}
        </button>
      </span>
    )
  }
  const listId = `${testId}-hits`
  return (
    <span className="item-picker">
      <input
        value={query}
        role="combobox"
        aria-label={t('counter.find')}
        aria-expanded={shown.length > 0}
        aria-controls={listId}
        aria-activedescendant={shown.length > 0 ? `${listId}-${at}` : undefined}
        placeholder={t('counter.find')}
        autoComplete="off"
        onChange={(e) => {
          setQuery(e.target.value)
          setActive(0)
        }}
        onKeyDown={onKey}
        data-testid={`${testId}-search`}
      />
      {hits.error && <ErrorText error={hits.error} />}
      {shown.length > 0 && (
        <ItemHits hits={shown} active={at} listId={listId} optionPrefix={`${listId}-`} className="hits compact" onChoose={choose} />
      )}
    </span>
  )
}
