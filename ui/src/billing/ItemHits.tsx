// The catalog items a search found, as the counter sale and an invoice line show them:
// a listbox of options — name, SKU, price and what is in stock — the chosen one
// marked, each taken by a press (before the search box loses its focus).
import type { SaleItem } from '../ipc/bindings'
import { useT } from '../shared/i18n'
import { formatMilli } from './money'
import { useMoney } from './useMoney'

export function ItemHits({
  hits,
  active,
  listId,
  optionPrefix,
  label,
  className,
  onChoose,
}: {
  hits: SaleItem[]
  /** The chosen option's place. */
  active: number
  listId: string
  /** Each option's id is this and its place (for `aria-activedescendant`). */
  optionPrefix: string
  label?: string
  className: string
  onChoose: (item: SaleItem) => void
}) {
  const t = useT()
  const money = useMoney()
  return (
    <ul className={className} id={listId} role="listbox" aria-label={label} data-testid={listId}>
      {hits.map((hit, i) => (
        <li
          key={hit.id}
          id={`${optionPrefix}${i}`}
          role="option"
          aria-selected={i === active}
          className={i === active ? 'hit active' : 'hit'}
          onMouseDown={(e) => {
            e.preventDefault()
            onChoose(hit)
          }}
        >
          <strong>{hit.name}</strong> <span className="muted">{hit.sku}</span> {money(hit.price_cents)}{' '}
          <span className="muted">
            {hit.on_hand_milli === null
              ? t('counter.service')
              : t('counter.in_stock', { quantity: formatMilli(hit.on_hand_milli) })}
          </span>
        </li>
      ))}
    </ul>
  )
}
