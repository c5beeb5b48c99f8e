// Inventory (Alt+6), in tabs. Stock: what needs a person first (stock below zero
// after offline sales, reorder, expiring lots, controlled-drug counts that disagree
// with the register), then every stocked item — on hand (the sum of its movements),
// reserved by draft invoices, available, lot by lot — with forms to receive stock and
// record a count. Catalog: items, prices and their history (`CatalogEditor`). Orders:
// purchase orders from the reorder list, received into lots (`PurchaseOrders`). Stock
// take: many counts in one act (`StockTake`). Core checks roles and every field; its
// refusals show beside the form.
import { useState, type FormEvent } from 'react'
import type { StockLevel } from '../ipc/bindings'
import { ErrorText } from '../shared/forms'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'
import { Tabs } from '../shared/Tabs'
import { CatalogEditor } from './CatalogEditor'
import { PurchaseOrders } from './PurchaseOrders'
import { StockTake } from './StockTake'
import { describeAlert } from './stockText'
import { formatMilli } from './money'

const TABS = ['stock', 'catalog', 'orders', 'take'] as const
type Tab = (typeof TABS)[number]

export function InventoryView() {
  const t = useT()
  const [tab, setTab] = useState<Tab>('stock')
  return (
    <section>
      <Tabs tabs={TABS} current={tab} onChange={setTab} label={t('view.inventory')} keyOf={(id) => `inventory.tab.${id}` as MessageKey} />
      {tab === 'stock' && <Stock />}
      {tab === 'catalog' && <CatalogEditor />}
      {tab === 'orders' && <PurchaseOrders />}
      {tab === 'take' && <TakeWithLevels />}
    </section>
  )
}

function TakeWithLevels() {
  const t = useT()
  const levels = useIpcQuery('stockLevels', undefined)
  if (levels.error) return <ErrorText error={levels.error} />
  if (!levels.data) return <p role="status">{t('app.loading')}</p>
  return <StockTake levels={levels.data} />
}

function Stock() {
  const t = useT()
  const levelsQuery = useIpcQuery('stockLevels', undefined)
  const alertsQuery = useIpcQuery('stockAlerts', undefined)
  const error = levelsQuery.error ?? alertsQuery.error
  if (error) return <ErrorText error={error} />
  const levels = levelsQuery.data
  const alerts = alertsQuery.data
  if (!levels || !alerts) return <p role="status">{t('app.loading')}</p>
  return (
    <div className="inventory">
      <section aria-labelledby="stock-alerts">
        <h2 id="stock-alerts">{t('stock.alerts')}</h2>
        {alerts.length === 0 ? (
          <p>{t('stock.no_alerts')}</p>
        ) : (
          <ul data-testid="stock-alerts">
            {alerts.map((a, i) => (
              <li key={i} data-alert={a.kind} className={a.kind === 'reconcile' || a.kind === 'discrepancy' ? 'alert' : undefined}>
                {describeAlert(a, t)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <table className="table" data-testid="stock-levels">
        <thead>
          <tr>
            <th>{t('stock.item')}</th>
            <th className="num">{t('stock.on_hand')}</th>
            <th className="num">{t('stock.reserved')}</th>
            <th className="num">{t('stock.available')}</th>
            <th>{t('stock.lots')}</th>
          </tr>
        </thead>
        <tbody>
          {levels.map((level) => (
            <tr key={level.item.id} data-item={level.item.sku}>
              <td>
                {level.item.name}
                {level.item.schedule && <span className="badge">{t('stock.controlled', { schedule: level.item.schedule })}</span>}
              </td>
              <td className="num" data-testid="on-hand">
                {formatMilli(level.on_hand_milli)} {level.item.unit}
              </td>
              <td className="num">{formatMilli(level.reserved_milli)}</td>
              <td className="num">{formatMilli(level.available_milli)}</td>
              <td>
                {level.lots
                  .map((lot) => `${lot.lot_number}${lot.expires_on ? ` (${lot.expires_on})` : ''}: ${formatMilli(lot.on_hand_milli)}`)
                  .join(' · ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="forms-row">
        <Receive levels={levels} />
        <Count levels={levels} />
      </div>
    </div>
  )
}

function ItemSelect({ levels, value, onChange, testId }: { levels: StockLevel[]; value: string; onChange: (id: string) => void; testId: string }) {
  const t = useT()
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
      <option value="">{t('billing.choose_item')}</option>
      {levels.map((l) => (
        <option key={l.item.id} value={l.item.id}>
          {l.item.name}
        </option>
      ))}
    </select>
  )
}

function Receive({ levels }: { levels: StockLevel[] }) {
  const t = useT()
  const [item, setItem] = useState('')
  const [lot, setLot] = useState('')
  const [expires, setExpires] = useState('')
  const [quantity, setQuantity] = useState('')
  const [cost, setCost] = useState('')
  const receive = useIpcMutation('stockReceive')
  const error = receive.error
  const submit = (event: FormEvent) => {
    event.preventDefault()
    receive.mutate(
      { item_id: item, lot_number: lot, expires_on: expires, quantity, cost },
      {
        onSuccess: () => {
          setLot('')
          setQuantity('')
        },
      },
    )
  }
  return (
    <form className="stack-form" onSubmit={submit} aria-label={t('stock.receive')} data-testid="receive">
      <h3>{t('stock.receive')}</h3>
      <label>
        {t('stock.item')}
        <ItemSelect levels={levels} value={item} onChange={setItem} testId="receive-item" />
      </label>
      <label>
        {t('stock.lot')}
        <input value={lot} onChange={(e) => setLot(e.target.value)} data-testid="receive-lot" />
      </label>
      <label>
        {t('stock.expires')}
        <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} data-testid="receive-expires" />
      </label>
      <label>
        {t('billing.quantity')}
        <input value={quantity} onChange={(e) => setQuantity(e.target.value)} inputMode="decimal" data-testid="receive-quantity" />
      </label>
      <label>
        {t('stock.cost')}
        <input value={cost} onChange={(e) => setCost(e.target.value)} inputMode="decimal" data-testid="receive-cost" />
      </label>
      {error && <ErrorText error={error} />}
      <button type="submit" disabled={!item}>
        {t('stock.receive')}
      </button>
    </form>
  )
}

function Count({ levels }: { levels: StockLevel[] }) {
  const t = useT()
  const [item, setItem] = useState('')
  const [counted, setCounted] = useState('')
  const [note, setNote] = useState('')
  const count = useIpcMutation('stockCount')
  const error = count.error
  const outcome = count.data
  const result = outcome
    ? t(outcome.discrepancy ? 'stock.count_discrepancy' : outcome.adjusted ? 'stock.count_adjusted' : 'stock.count_matches', {
        counted: formatMilli(outcome.counted_milli),
        expected: formatMilli(outcome.expected_milli),
      })
    : null
  const submit = (event: FormEvent) => {
    event.preventDefault()
    count.mutate({ item_id: item, counted, note })
  }
  return (
    <form className="stack-form" onSubmit={submit} aria-label={t('stock.count')} data-testid="count">
      <h3>{t('stock.count')}</h3>
      <label>
        {t('stock.item')}
        <ItemSelect levels={levels} value={item} onChange={setItem} testId="count-item" />
      </label>
      <label>
        {t('stock.counted')}
        <input value={counted} onChange={(e) => setCounted(e.target.value)} inputMode="decimal" data-testid="count-counted" />
      </label>
      <label>
        {t('stock.note')}
        <input value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      {error && <ErrorText error={error} />}
      {result && <p role="status">{result}</p>}
      <button type="submit" disabled={!item}>
        {t('stock.count')}
      </button>
    </form>
  )
}
