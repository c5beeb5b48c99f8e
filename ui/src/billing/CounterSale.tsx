// Counter sale (Alt+5): a walk-in buys a bag of food, or a client pays for a nail clip
// with no appointment — done from the keyboard. Type or scan into the search box (name,
// SKU or barcode; ↑/↓ choose, Enter adds, a scanned code's exact item comes first), set
// quantities, choose the client if there is one (none is a walk-in, who pays in full),
// split the payment across methods (one without an amount pays the rest; cash beyond
// the total is change) and press Ctrl+Enter. Core quotes the total as the basket
// changes, rings the sale up in one act (finalized, stock taken, paid) and refuses
// what it must — its message is shown beside what caused it. The receipt is one click
// (or Enter) away.
import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { api, toIpcError } from '../ipc/api'
import type { Hit, IpcError, Sale, SaleItem } from '../ipc/bindings'
import { useIpcMutation, useIpcQuery, useReportSignedOut } from '../ipc/query'
import { ErrorText } from '../shared/forms'
import { useT } from '../shared/i18n'
import { addToBasket, type BasketLine } from './basket'
import { ItemHits } from './ItemHits'
import { MethodField } from './MethodField'
import { ClientPicker } from './ClientPicker'
import { useMoney } from './useMoney'

interface PaymentRow {
  method: string
  /** As typed; empty pays what the others leave. */
  amount: string
}

const FIRST_PAYMENT: PaymentRow[] = [{ method: 'cash', amount: '' }]

export function CounterSale() {
  const t = useT()
  const money = useMoney()
  const report = useReportSignedOut()
  const searchBox = useRef<HTMLInputElement>(null)
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const [notFound, setNotFound] = useState<string | null>(null)
  const [lookupError, setLookupError] = useState<IpcError | null>(null)
  const [basket, setBasket] = useState<BasketLine[]>([])
  const [client, setClient] = useState<Hit | null>(null)
  const [payments, setPayments] = useState<PaymentRow[]>(FIRST_PAYMENT)
  const [done, setDone] = useState<Sale | null>(null)

  const typed = query.trim()
  const hits = useIpcQuery('saleItems', { query: typed }, { enabled: typed !== '', keepPrevious: true })
  const shown = typed === '' ? [] : (hits.data ?? [])
  const current = !hits.isPlaceholderData && !hits.isFetching
  const lines = basket.map((line) => ({ item_id: line.item.id, quantity: line.quantity }))
  const quote = useIpcQuery('saleQuote', { lines, payments: [] }, { enabled: basket.length > 0, keepPrevious: true })
  const sell = useIpcMutation('counterSale')
  const receipt = useIpcMutation('invoicePdf', { changesRecords: false })

  const add = (item: SaleItem) => {
    setBasket((b) => addToBasket(b, item))
    setQuery('')
    setActive(0)
    setNotFound(null)
    setDone(null)
  }

  /** Enter: the chosen hit — or, when the list is not yet for what was typed (a scanner
   * is faster than a keystroke's answer), the best hit for it asked afresh. */
  const addChosen = async () => {
    if (typed === '') return
    setLookupError(null)
    if (current && shown.length > 0) {
      add(shown[Math.min(active, shown.length - 1)])
      return
    }
    try {
      const fresh = await api.saleItems({ query: typed })
      if (fresh[0]) add(fresh[0])
      else setNotFound(typed)
    } catch (e) {
      const error = toIpcError(e)
      if (!report(error)) setLookupError(error)
    }
  }

  const onSearchKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault()
      setActive((i) => Math.min(i + 1, Math.max(shown.length - 1, 0)))
    } else if (event.key === 'ArrowUp') {
      event.preventDefault()
      setActive((i) => Math.max(i - 1, 0))
    } else if (event.key === 'Enter' && !event.ctrlKey) {
      event.preventDefault()
      void addChosen()
    } else if (event.key === 'Escape') {
      setQuery('')
      setActive(0)
      setNotFound(null)
    }
  }

  const complete = () => {
    if (basket.length === 0 || sell.isPending) return
    sell.mutate(
      { client_id: client?.id, lines, payments: payments.map((p) => ({ method: p.method, amount: p.amount.trim() })) },
      {
        onSuccess: (sale) => {
          setDone(sale)
          setBasket([])
          setPayments(FIRST_PAYMENT)
          setClient(null)
          receipt.reset()
          searchBox.current?.focus()
        },
      },
    )
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    complete()
  }

  const setPayment = (index: number, row: Partial<PaymentRow>) =>
    setPayments((rows) => rows.map((p, i) => (i === index ? { ...p, ...row } : p)))
  const activeId = shown.length > 0 ? `sale-hit-${Math.min(active, shown.length - 1)}` : undefined

  return (
    <form
      className="counter-sale"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && e.ctrlKey) {
          e.preventDefault()
          complete()
        }
      }}
      aria-label={t('view.counter')}
      data-testid="counter-sale"
    >
      {done && (
        <section className="panel" role="status" data-testid="sale-done">
          <p>
            {t('counter.done', {
              number: done.number,
              total: money(done.total_cents),
              paid: money(done.paid_cents),
            })}
          </p>
          {done.change_cents > 0 && (
            <p className="total" data-testid="sale-change">
              {t('counter.change', { amount: money(done.change_cents) })}
            </p>
          )}
          {done.balance_cents > 0 && <p>{t('counter.on_account', { amount: money(done.balance_cents) })}</p>}
          <button type="button" onClick={() => receipt.mutate({ id: done.invoice_id })} disabled={receipt.isPending} data-testid="sale-receipt">
            {t('billing.save_receipt')}
          </button>
          {receipt.data && (
            <p className="saved" data-testid="sale-receipt-saved" data-path={receipt.data.path}>
              {t('billing.saved', { path: receipt.data.path })}
            </p>
          )}
          {receipt.error && <ErrorText error={receipt.error} />}
        </section>
      )}
      <section className="panel">
        <label htmlFor="sale-search">{t('counter.find')}</label>
        <input
          id="sale-search"
          ref={searchBox}
          // The counter starts at the search box: the first keystroke or scan goes there.
          // eslint-disable-next-line jsx-a11y/no-autofocus
          autoFocus
          role="combobox"
          aria-expanded={shown.length > 0}
          aria-controls="sale-hits"
          aria-activedescendant={activeId}
          aria-autocomplete="list"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value)
            setActive(0)
            setNotFound(null)
          }}
          onKeyDown={onSearchKey}
          autoComplete="off"
          data-testid="sale-search"
        />
        <p className="muted">{t('counter.keys')}</p>
        {notFound !== null && (
          <p role="alert" className="error-message" data-testid="sale-not-found">
            {t('counter.not_found', { typed: notFound })}
          </p>
        )}
        {lookupError && <ErrorText error={lookupError} />}
        {hits.error && <ErrorText error={hits.error} />}
        <div data-testid="sale-results" data-answered={!hits.isPlaceholderData && hits.data ? typed : undefined}>
          {shown.length > 0 && (
            <ItemHits
            hits={shown}
            active={Math.min(active, shown.length - 1)}
            listId="sale-hits"
            optionPrefix="sale-hit-"
            label={t('counter.find')}
            className="hits"
            onChoose={add}
          />
          )}
        </div>
      </section>

      <section className="panel" aria-label={t('counter.basket')}>
        <h3>{t('counter.basket')}</h3>
        {basket.length === 0 ? (
          <p className="muted">{t('counter.empty')}</p>
        ) : (
          <table className="table" data-testid="sale-basket">
            <thead>
              <tr>
                <th>{t('billing.item')}</th>
                <th>{t('billing.quantity')}</th>
                <th className="num">{t('billing.price')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {basket.map((line, i) => (
                <tr key={line.item.id}>
                  <td>{line.item.name}</td>
                  <td>
                    <input
                      value={line.quantity}
                      inputMode="decimal"
                      size={5}
                      aria-label={t('counter.quantity_of', { name: line.item.name })}
                      onChange={(e) =>
                        setBasket((b) => b.map((l, at) => (at === i ? { ...l, quantity: e.target.value } : l)))
                      }
                      data-testid="sale-quantity"
                    />
                  </td>
                  <td className="num">{money(line.item.price_cents)}</td>
                  <td>
                    <button type="button" className="link" onClick={() => setBasket((b) => b.filter((_, at) => at !== i))}>
                      {t('counter.remove', { name: line.item.name })}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {quote.error && basket.length > 0 && <ErrorText error={quote.error} />}
        {quote.data && basket.length > 0 && (
          <p className="total" data-testid="sale-total">
            {t('counter.total', { amount: money(quote.data.total_cents) })}
          </p>
        )}
      </section>

      <section className="panel inline-form" aria-label={t('counter.payment')}>
        <h3>{t('counter.payment')}</h3>
        <ClientPicker client={client} onChange={setClient} testId="sale" placeholder={t('counter.client_optional')} />
        {payments.map((row, i) => (
          <div className="payment-row" key={i}>
            <MethodField value={row.method} onChange={(method) => setPayment(i, { method })} testId={`sale-method-${i}`} />
            <label>
              {t('billing.amount')}
              <input
                value={row.amount}
                placeholder={t('counter.rest')}
                inputMode="decimal"
                size={8}
                onChange={(e) => setPayment(i, { amount: e.target.value })}
                data-testid={`sale-amount-${i}`}
              />
            </label>
            {payments.length > 1 && (
              <button type="button" className="link" onClick={() => setPayments((rows) => rows.filter((_, at) => at !== i))}>
                {t('counter.remove_payment')}
              </button>
            )}
          </div>
        ))}
        <button
          type="button"
          onClick={() => setPayments((rows) => [...rows, { method: rows.some((r) => r.method === 'card') ? 'cash' : 'card', amount: '' }])}
          data-testid="sale-split"
        >
          {t('counter.split')}
        </button>
        <button type="submit" className="primary" disabled={basket.length === 0 || sell.isPending} data-testid="sale-complete">
          {t('counter.complete')}
        </button>
        {sell.error && <ErrorText error={sell.error} />}
      </section>
    </form>
  )
}
