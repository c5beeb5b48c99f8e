// The catalog in the app (Inventory → Catalog): every item with its price, VAT,
// controlled schedule and reorder level, found as you type; an item's form to add or
// change it (admins, in core) — SKU, barcode, name, kind, unit, price, VAT rate,
// schedule, reorder level and the species dose ranges the scribe checks doses
// against — and its price history (a finalized invoice keeps the price it was printed
// with). Core checks every field and its refusal is shown beside the form.
import { useState, type FormEvent } from 'react'
import type { CatalogItem, DoseRange } from '../ipc/bindings'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { ErrorText } from '../shared/forms'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'
import { formatMilli, formatPercent } from './money'
import { useMoney } from './useMoney'

const KINDS = ['service', 'product', 'drug'] as const

interface ItemDraft {
  id?: string
  sku: string
  barcode: string
  name: string
  kind: string
  unit: string
  price: string
  vat: string
  schedule: string
  reorder_level: string
  dose_ranges: DoseRange[]
}

const NEW_ITEM: ItemDraft = {
  sku: '',
  barcode: '',
  name: '',
  kind: 'product',
  unit: '',
  price: '',
  vat: '20',
  schedule: '',
  reorder_level: '0',
  dose_ranges: [],
}

/** An item as its form shows it (amounts as people type them). */
function draftOf(item: CatalogItem): ItemDraft {
  return {
    id: item.id,
    sku: item.sku,
    barcode: item.barcode,
    name: item.name,
    kind: item.kind,
    unit: item.unit,
    price: (item.price_cents / 100).toFixed(2),
    vat: String(item.vat_rate_bp / 100),
    schedule: item.schedule ?? '',
    reorder_level: formatMilli(item.reorder_level_milli),
    dose_ranges: item.dose_ranges,
  }
}

export function CatalogEditor() {
  const t = useT()
  const money = useMoney()
  const [query, setQuery] = useState('')
  const [draft, setDraft] = useState<ItemDraft>(NEW_ITEM)
  const items = useIpcQuery('catalogList', { query }, { keepPrevious: true })
  const history = useIpcQuery('priceHistory', { id: draft.id ?? '' }, { enabled: draft.id !== undefined })
  const save = useIpcMutation('catalogSave')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save.mutate(draft, { onSuccess: () => setDraft(NEW_ITEM) })
  }
  const set = (patch: Partial<ItemDraft>) => setDraft((d) => ({ ...d, ...patch }))
  const setRange = (i: number, patch: Partial<DoseRange>) =>
    set({ dose_ranges: draft.dose_ranges.map((r, at) => (at === i ? { ...r, ...patch } : r)) })
  return (
    <div className="catalog-editor">
      <section>
        <label>
          {t('catalog.find')}
          <input value={query} onChange={(e) => setQuery(e.target.value)} data-testid="catalog-search" />
        </label>
        {items.error && <ErrorText error={items.error} />}
        <table className="table" data-testid="catalog-items">
          <thead>
            <tr>
              <th>{t('catalog.sku')}</th>
              <th>{t('catalog.name')}</th>
              <th className="num">{t('billing.price')}</th>
              <th className="num">{t('billing.vat')}</th>
              <th className="num">{t('catalog.reorder_level')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(items.data ?? []).map((item) => (
              <tr key={item.id} data-item={item.sku}>
                <td>{item.sku}</td>
                <td>
                  {item.name}
                  {item.schedule && <span className="badge">{t('stock.controlled', { schedule: item.schedule })}</span>}
                </td>
                <td className="num">{money(item.price_cents)}</td>
                <td className="num">{formatPercent(item.vat_rate_bp)}</td>
                <td className="num">{item.kind === 'service' ? '—' : formatMilli(item.reorder_level_milli)}</td>
                <td>
                  <button type="button" className="link" onClick={() => setDraft(draftOf(item))} data-action="edit-item">
                    {t('setup.edit')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <form className="stack-form" onSubmit={submit} aria-label={t('catalog.item')} data-testid="item-form">
        <h3>{draft.id ? t('catalog.change', { name: draft.name }) : t('catalog.add')}</h3>
        <div className="forms-row">
          <label>
            {t('catalog.sku')}
            <input value={draft.sku} onChange={(e) => set({ sku: e.target.value })} data-testid="item-sku" />
          </label>
          <label>
            {t('catalog.barcode')}
            <input value={draft.barcode} onChange={(e) => set({ barcode: e.target.value })} data-testid="item-barcode" />
          </label>
        </div>
        <label>
          {t('catalog.name')}
          <input value={draft.name} onChange={(e) => set({ name: e.target.value })} data-testid="item-name" />
        </label>
        <div className="forms-row">
          <label>
            {t('catalog.kind')}
            <select value={draft.kind} onChange={(e) => set({ kind: e.target.value })} data-testid="item-kind">
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`catalog.kind.${k}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('catalog.unit')}
            <input value={draft.unit} placeholder={t('catalog.unit_example')} onChange={(e) => set({ unit: e.target.value })} data-testid="item-unit" />
          </label>
        </div>
        <div className="forms-row">
          <label>
            {t('catalog.price')}
            <input value={draft.price} inputMode="decimal" onChange={(e) => set({ price: e.target.value })} data-testid="item-price" />
          </label>
          <label>
            {t('catalog.vat')}
            <input value={draft.vat} inputMode="decimal" size={5} onChange={(e) => set({ vat: e.target.value })} data-testid="item-vat" />
          </label>
          {draft.kind !== 'service' && (
            <label>
              {t('catalog.reorder_level')}
              <input
                value={draft.reorder_level}
                inputMode="decimal"
                size={6}
                onChange={(e) => set({ reorder_level: e.target.value })}
                data-testid="item-reorder"
              />
            </label>
          )}
        </div>
        {draft.kind === 'drug' && (
          <>
            <label>
              {t('catalog.schedule')}
              <select value={draft.schedule} onChange={(e) => set({ schedule: e.target.value })} data-testid="item-schedule">
                <option value="">{t('catalog.not_controlled')}</option>
                {['2', '3', '4', '5'].map((s) => (
                  <option key={s} value={s}>
                    {t('stock.controlled', { schedule: s })}
                  </option>
                ))}
              </select>
            </label>
            <fieldset>
              <legend>{t('catalog.dose_ranges')}</legend>
              {draft.dose_ranges.map((range, i) => (
                <div className="forms-row" key={i}>
                  <input
                    value={range.species}
                    aria-label={t('catalog.species')}
                    onChange={(e) => setRange(i, { species: e.target.value })}
                    data-testid="range-species"
                  />
                  <input
                    value={range.min_mg_per_kg}
                    type="number"
                    step="0.01"
                    aria-label={t('catalog.min_mg_per_kg')}
                    onChange={(e) => setRange(i, { min_mg_per_kg: Number(e.target.value) })}
                    data-testid="range-min"
                  />
                  <input
                    value={range.max_mg_per_kg}
                    type="number"
                    step="0.01"
                    aria-label={t('catalog.max_mg_per_kg')}
                    onChange={(e) => setRange(i, { max_mg_per_kg: Number(e.target.value) })}
                    data-testid="range-max"
                  />
                  <button type="button" className="link" onClick={() => set({ dose_ranges: draft.dose_ranges.filter((_, at) => at !== i) })}>
                    {t('counter.remove', { name: range.species })}
                  </button>
                </div>
              ))}
              <button
                type="button"
                onClick={() => set({ dose_ranges: [...draft.dose_ranges, { species: 'dog', min_mg_per_kg: 1, max_mg_per_kg: 2 }] })}
                data-testid="add-range"
              >
                {t('catalog.add_range')}
              </button>
            </fieldset>
          </>
        )}
        {save.error && <ErrorText error={save.error} />}
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending} data-testid="save-item">
            {draft.id ? t('catalog.save') : t('catalog.add')}
          </button>
          {draft.id && (
            <button type="button" onClick={() => setDraft(NEW_ITEM)}>
              {t('catalog.new_item')}
            </button>
          )}
        </div>
        {draft.id && history.data && (
          <section aria-label={t('catalog.price_history')} data-testid="price-history">
            <h4>{t('catalog.price_history')}</h4>
            <ul>
              {history.data.map((change, i) => (
                <li key={i}>
                  {money(change.price_cents)} · {t('billing.vat')} {formatPercent(change.vat_rate_bp)} ·{' '}
                  {change.changed_at ? new Date(change.changed_at).toLocaleString() : '—'} · {change.changed_by}
                </li>
              ))}
            </ul>
          </section>
        )}
      </form>
    </div>
  )
}
