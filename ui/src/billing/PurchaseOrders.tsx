// Purchase orders in the app (Inventory → Orders): a draft order of everything at or
// below its reorder level, to a supplier; placing it; and each delivery received
// against its line into a lot — a partial delivery leaves the rest due, and the order
// shows received once every line is. Core numbers orders from this device's own
// series, checks roles and quantities (no more than is due), and its refusal is
// shown beside the act.
import { useState, type FormEvent } from 'react'
import type { OrderLine, PurchaseOrder } from '../ipc/bindings'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { ErrorText } from '../shared/forms'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'
import { formatMilli } from './money'
import { useMoney } from './useMoney'

export function PurchaseOrders() {
  const t = useT()
  const orders = useIpcQuery('purchaseOrders', undefined)
  const [supplier, setSupplier] = useState('')
  const draft = useIpcMutation('orderFromReorderList')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    draft.mutate({ supplier })
  }
  return (
    <div className="orders">
      <form className="inline-form" onSubmit={submit} aria-label={t('orders.from_reorder')} data-testid="reorder-form">
        <label>
          {t('orders.supplier')}
          <input value={supplier} onChange={(e) => setSupplier(e.target.value)} data-testid="order-supplier" />
        </label>
        <button type="submit" disabled={draft.isPending}>
          {t('orders.from_reorder')}
        </button>
        {draft.data === null && <p role="status">{t('orders.nothing_to_order')}</p>}
        {draft.error && <ErrorText error={draft.error} />}
      </form>
      {orders.error && <ErrorText error={orders.error} />}
      {orders.data && orders.data.length === 0 && <p>{t('orders.none')}</p>}
      {(orders.data ?? []).map((order) => (
        <Order key={order.id} order={order} />
      ))}
    </div>
  )
}

function Order({ order }: { order: PurchaseOrder }) {
  const t = useT()
  const money = useMoney()
  const place = useIpcMutation('orderPlace')
  const receiving = order.status === 'ordered' || order.status === 'part_received'
  return (
    <section className="panel" aria-label={order.number} data-order={order.number} data-status={order.status}>
      <h3>
        {order.number} · {order.supplier} ·{' '}
        <span data-testid="order-status">{t(`orders.status.${order.status}` as MessageKey)}</span>
      </h3>
      <table className="table">
        <thead>
          <tr>
            <th>{t('stock.item')}</th>
            <th className="num">{t('orders.ordered')}</th>
            <th className="num">{t('orders.received')}</th>
            <th className="num">{t('stock.cost')}</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.id} data-line={line.sku}>
              <td>{line.item_name}</td>
              <td className="num">{formatMilli(line.quantity_milli)}</td>
              <td className="num" data-testid="line-received">
                {formatMilli(line.received_milli)}
              </td>
              <td className="num">{money(line.cost_cents)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {order.status === 'draft' && (
        <button type="button" className="primary" disabled={place.isPending} onClick={() => place.mutate({ id: order.id })} data-testid="place-order">
          {t('orders.place')}
        </button>
      )}
      {place.error && <ErrorText error={place.error} />}
      {receiving && <Delivery lines={order.lines.filter((l) => l.received_milli < l.quantity_milli)} />}
    </section>
  )
}

function Delivery({ lines }: { lines: OrderLine[] }) {
  const t = useT()
  const [line, setLine] = useState(lines[0]?.id ?? '')
  const [lot, setLot] = useState('')
  const [expires, setExpires] = useState('')
  const [quantity, setQuantity] = useState('')
  const receive = useIpcMutation('orderReceive')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    receive.mutate(
      { line_id: line, lot_number: lot, expires_on: expires, quantity, cost: '' },
      {
        onSuccess: () => {
          setLot('')
          setQuantity('')
        },
      },
    )
  }
  return (
    <form className="inline-form" onSubmit={submit} aria-label={t('orders.receive')} data-testid="delivery-form">
      <label>
        {t('stock.item')}
        <select value={line} onChange={(e) => setLine(e.target.value)} data-testid="delivery-line">
          {lines.map((l) => (
            <option key={l.id} value={l.id}>
              {l.item_name} ({t('orders.due', { quantity: formatMilli(l.quantity_milli - l.received_milli) })})
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('stock.lot')}
        <input value={lot} onChange={(e) => setLot(e.target.value)} data-testid="delivery-lot" />
      </label>
      <label>
        {t('stock.expires')}
        <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} data-testid="delivery-expires" />
      </label>
      <label>
        {t('billing.quantity')}
        <input value={quantity} inputMode="decimal" size={6} onChange={(e) => setQuantity(e.target.value)} data-testid="delivery-quantity" />
      </label>
      <button type="submit" disabled={receive.isPending || !line}>
        {t('orders.receive')}
      </button>
      {receive.error && <ErrorText error={receive.error} />}
    </form>
  )
}
