// Billing (Alt+4): a new invoice or estimate for any client (with or without one of
// their animals; the client found as you type), the day's close, and the documents
// list — drafts first (a visit's prescriptions draft its invoice), then finalized ones,
// or only the unpaid — and one document: its lines, VAT by rate and total; for a
// draft, lines from the catalog and Finalize; for an estimate, the client's acceptance
// into an invoice; once finalized, payments and the receipt as a PDF. Every rule
// (discount limits, who may dispense a controlled drug, numbers, rounding, an estimate
// accepted once) is core's; refusals are shown as they come. Amounts are in the
// clinic's currency.
import { useState, type FormEvent } from 'react'
import { api } from '../ipc/api'
import type { Hit, InvoiceSummary, SaleItem } from '../ipc/bindings'
import { dayBounds, isoDay } from '../schedule/dayBoard'
import { ErrorText } from '../shared/forms'
import { useActions, useIpcMutation, useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'
import { ClientPicker } from './ClientPicker'
import { ItemPicker } from './ItemPicker'
import { MethodField } from './MethodField'
import { formatCents, formatMilli, formatPercent } from './money'
import { useMoney } from './useMoney'
import type { MessageKey } from '../shared/locales/en'

export function BillingView() {
  const [open, setOpen] = useState<string | null>(null)
  if (open) return <InvoiceScreen key={open} id={open} onBack={() => setOpen(null)} onOpen={setOpen} />
  return <InvoiceList onOpen={setOpen} />
}

/** A finalized invoice not yet paid in full. */
function unpaid(row: InvoiceSummary): boolean {
  return row.kind === 'invoice' && row.status === 'finalized' && row.total_cents !== null && row.paid_cents < row.total_cents
}

function InvoiceList({ onOpen }: { onOpen: (id: string) => void }) {
  const t = useT()
  const list = useIpcQuery('invoicesList', {})
  const [unpaidOnly, setUnpaidOnly] = useState(false)
  const rows = list.data
  if (list.error) return <ErrorText error={list.error} />
  if (!rows) return <p role="status">{t('app.loading')}</p>
  const ordered = [...rows.filter((r) => r.status === 'draft'), ...rows.filter((r) => r.status !== 'draft')]
  const shown = unpaidOnly ? ordered.filter(unpaid) : ordered
  return (
    <>
      <NewDocument onCreated={onOpen} />
      <CloseDay />
      <label className="field check">
        <input type="checkbox" checked={unpaidOnly} onChange={(e) => setUnpaidOnly(e.target.checked)} data-testid="unpaid-only" />
        {t('billing.unpaid_only')}
      </label>
      {shown.length === 0 ? (
        <p>{t(unpaidOnly ? 'billing.none_unpaid' : 'billing.none')}</p>
      ) : (
        <InvoiceTable rows={shown} onOpen={onOpen} />
      )}
    </>
  )
}

/**
 * A new invoice or estimate for any client — a vaccination-only visit, a nail clip —
 * with or without one of their animals: the client found as you type (Enter takes the
 * first), then Create opens the draft.
 */
function NewDocument({ onCreated }: { onCreated: (id: string) => void }) {
  const t = useT()
  const [client, setClient] = useState<Hit | null>(null)
  const [patient, setPatient] = useState('')
  const [kind, setKind] = useState<'invoice' | 'estimate'>('invoice')
  const detail = useIpcQuery('clientDetail', { id: client?.id ?? '' }, { enabled: client !== null })
  const create = useIpcMutation('invoiceNew')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (!client) return
    create.mutate({ kind, client_id: client.id, patient_id: patient || undefined }, { onSuccess: onCreated })
  }
  return (
    <form className="panel inline-form" onSubmit={submit} aria-label={t('billing.new')} data-testid="new-document">
      <h3>{t('billing.new')}</h3>
      <ClientPicker
        client={client}
        onChange={(chosen) => {
          setClient(chosen)
          setPatient('')
        }}
        testId="new"
      />
      {client && (
        <label>
          {t('billing.for_patient')}
          <select value={patient} onChange={(e) => setPatient(e.target.value)} data-testid="new-patient">
            <option value="">{t('billing.no_patient')}</option>
            {(detail.data?.patients ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        {t('billing.kind')}
        <select value={kind} onChange={(e) => setKind(e.target.value as 'invoice' | 'estimate')} data-testid="new-kind">
          <option value="invoice">{t('billing.kind.invoice')}</option>
          <option value="estimate">{t('billing.kind.estimate')}</option>
        </select>
      </label>
      <button type="submit" className="primary" disabled={!client || create.isPending} data-testid="create-document">
        {t('billing.create')}
      </button>
      {create.error && <ErrorText error={create.error} />}
    </form>
  )
}

/** Closes this register's day: the Z report, numbered and kept, and its PDF. */
function CloseDay() {
  const t = useT()
  const money = useMoney()
  const closing = useIpcMutation('registerClose')
  const closed = closing.data
  const busy = closing.isPending
  const error = closing.error
  const close = () => {
    const today = new Date()
    const { from, to } = dayBounds(today)
    closing.mutate({ day: isoDay(today), from: from.toISOString(), to: to.toISOString() })
  }
  return (
    <div className="close-day">
      <button onClick={close} disabled={busy} data-testid="close-day">
        {t('billing.close_day')}
      </button>
      {error && <ErrorText error={error} />}
      {closed && (
        <p role="status" data-testid="z-report" data-path={closed.path}>
          {t('billing.closed', {
            number: closed.report.number ?? '',
            invoices: closed.report.invoices,
            total: money(closed.report.total_cents),
            taken: money(closed.report.taken_cents),
            path: closed.path,
          })}
        </p>
      )}
    </div>
  )
}

function InvoiceTable({ rows: ordered, onOpen }: { rows: InvoiceSummary[]; onOpen: (id: string) => void }) {
  const t = useT()
  const money = useMoney()
  return (
    <table className="table" data-testid="invoice-list">
      <thead>
        <tr>
          <th>{t('billing.number')}</th>
          <th>{t('billing.client')}</th>
          <th>{t('billing.status')}</th>
          <th className="num">{t('billing.total')}</th>
          <th className="num">{t('billing.paid')}</th>
        </tr>
      </thead>
      <tbody>
        {ordered.map((row) => (
          <tr key={row.id} data-invoice={row.id} data-status={row.status}>
            <td>
              <button className="link" onClick={() => onOpen(row.id)}>
                {row.number ?? t('billing.draft')}
              </button>
            </td>
            <td>{row.client_name || t('counter.walk_in')}</td>
            <td>{t(`billing.status.${row.status}` as MessageKey)}</td>
            <td className="num">{row.total_cents === null ? '—' : money(row.total_cents)}</td>
            <td className="num">{money(row.paid_cents)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function InvoiceScreen({ id, onBack, onOpen }: { id: string; onBack: () => void; onOpen: (id: string) => void }) {
  const t = useT()
  const money = useMoney()
  const shown = useIpcQuery('invoiceView', { id })
  const view = shown.data ?? null
  const [saved, setSaved] = useState<string | null>(null)
  const [labels, setLabels] = useState<string[]>([])
  // One action at a time on a document; its refusal is shown until the next one.
  const { run, busy, error: refused } = useActions()
  const error = shown.error ?? refused

  if (!view) return error ? <ErrorText error={error} /> : <p role="status">{t('app.loading')}</p>
  const draft = view.status === 'draft'
  return (
    <section data-testid="invoice" data-status={view.status} data-payment={view.payment_status}>
      <button className="link" onClick={onBack}>
        ← {t('billing.back')}
      </button>
      <h2 data-testid="invoice-title">
        {t(`billing.kind.${view.kind}` as MessageKey)} {view.number ?? t('billing.draft')}
      </h2>
      <p>
        {view.client_name || t('counter.walk_in')}
        {view.patient_name ? ` · ${view.patient_name}` : ''} · {t(`billing.payment.${view.payment_status}` as MessageKey)}
      </p>
      {error && <ErrorText error={error} />}
      <table className="table" data-testid="invoice-lines">
        <thead>
          <tr>
            <th>{t('billing.item')}</th>
            <th className="num">{t('billing.quantity')}</th>
            <th className="num">{t('billing.price')}</th>
            <th className="num">{t('billing.vat')}</th>
            <th className="num">{t('billing.amount')}</th>
          </tr>
        </thead>
        <tbody>
          {view.lines.map((line) => (
            <tr key={line.id} data-line={line.description}>
              <td>
                {line.description}
                {line.discount_bp > 0 && ` (−${formatPercent(line.discount_bp)})`}
                {line.prescription_id && <span className="badge">{t('billing.prescribed')}</span>}
              </td>
              <td className="num">
                {formatMilli(line.quantity_milli)}
                {line.quantity_high_milli !== undefined && line.quantity_high_milli !== line.quantity_milli && `–${formatMilli(line.quantity_high_milli)}`}
              </td>
              <td className="num">{money(line.unit_price_cents)}</td>
              <td className="num">{formatPercent(line.vat_rate_bp)}</td>
              <td className="num">{money(line.net_cents)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={4}>{t('billing.net')}</td>
            <td className="num">{money(view.totals.net_cents)}</td>
          </tr>
          {view.totals.vat.map((v) => (
            <tr key={v.rate_bp}>
              <td colSpan={4}>{t('billing.vat_on', { rate: formatPercent(v.rate_bp), net: money(v.net_cents) })}</td>
              <td className="num">{money(v.vat_cents)}</td>
            </tr>
          ))}
          <tr className="total">
            <td colSpan={4}>{t('billing.total')}</td>
            <td className="num" data-testid="invoice-total">
              {money(view.totals.total_cents)}
            </td>
          </tr>
          {view.high_totals && (
            <tr className="total">
              <td colSpan={4}>{t('billing.up_to_total')}</td>
              <td className="num" data-testid="invoice-high-total">
                {money(view.high_totals.total_cents)}
              </td>
            </tr>
          )}
        </tfoot>
      </table>
      {draft && (
        <>
          <AddLine
            busy={busy}
            range={view.kind === 'estimate'}
            onAdd={(item, quantity, discount, quantityHigh) =>
              run(() =>
                api.invoiceAddLine({ invoice_id: view.id, item_id: item, quantity, discount, quantity_high: quantityHigh || undefined }),
              )
            }
          />
          <button
            data-testid="finalize"
            disabled={busy || view.lines.length === 0}
            onClick={() => run(() => api.invoiceFinalize({ id: view.id }))}
          >
            {t('billing.finalize')}
          </button>
        </>
      )}
      {view.kind === 'estimate' && view.status !== 'void' && (
        <button
          data-testid="accept-estimate"
          disabled={busy}
          onClick={() => void run(async () => onOpen(await api.estimateAccept({ id: view.id })))}
        >
          {t('billing.accept_estimate')}
        </button>
      )}
      {!draft && view.kind === 'invoice' && (
        <>
          <h3>{t('billing.payments')}</h3>
          <ul data-testid="payments">
            {view.payments.map((p) => (
              <li key={p.id}>
                {t(`billing.method.${p.method}` as MessageKey)} {money(p.amount_cents)} · {p.taken_at.slice(0, 16).replace('T', ' ')}
              </li>
            ))}
          </ul>
          <p data-testid="balance">{t('billing.balance', { amount: money(view.balance_cents) })}</p>
          {view.balance_cents > 0 && view.status === 'finalized' && (
            <Pay balanceCents={view.balance_cents} busy={busy} onPay={(method, amount) => run(() => api.invoicePay({ invoice_id: view.id, method, amount }))} />
          )}
          {view.status === 'finalized' && view.lines.some((l) => l.prescription_id) && (
            <button
              data-testid="save-labels"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  const docs = await api.invoiceLabels({ id: view.id })
                  setLabels(docs.map((d) => d.path))
                })
              }
            >
              {t('billing.save_labels')}
            </button>
          )}
          {labels.length > 0 && (
            <ul role="status" data-testid="saved-labels">
              {labels.map((path) => (
                <li key={path} data-path={path}>
                  {t('billing.saved', { path })}
                </li>
              ))}
            </ul>
          )}
          {view.status === 'finalized' && (
            <Corrections
              busy={busy}
              paid={view.paid_cents > 0}
              onRefund={(method, amount, reason) =>
                run(() => api.invoiceRefund({ invoice_id: view.id, method, amount, reason }))
              }
              onVoid={(reason) => run(() => api.invoiceVoid({ invoice_id: view.id, reason }))}
              onCredit={(reason, restock) =>
                run(async () => onOpen(await api.invoiceCredit({ invoice_id: view.id, reason, restock })))
              }
            />
          )}
        </>
      )}
      {!draft && (
        <>
          <button
            data-testid="save-pdf"
            disabled={busy}
            onClick={() =>
              run(async () => {
                const doc = await api.invoicePdf({ id: view.id })
                setSaved(doc.path)
              })
            }
          >
            {view.kind === 'credit_note'
              ? t('billing.save_credit_note')
              : view.kind === 'estimate'
                ? t('billing.save_estimate')
                : view.payment_status === 'paid'
                  ? t('billing.save_receipt')
                  : t('billing.save_invoice')}
          </button>
          {saved && (
            <p role="status" data-testid="saved-pdf" data-path={saved}>
              {t('billing.saved', { path: saved })}
            </p>
          )}
        </>
      )}
    </section>
  )
}

function AddLine({
  busy,
  range,
  onAdd,
}: {
  busy: boolean
  /** An estimate's line may give a range: its quantity up to this. */
  range: boolean
  /** Resolves true once the line is added (false: refused, the form stays as typed). */
  onAdd: (item: string, quantity: string, discount: string, quantityHigh: string) => Promise<boolean>
}) {
  const t = useT()
  const [item, setItem] = useState<SaleItem | null>(null)
  const [quantity, setQuantity] = useState('1')
  const [discount, setDiscount] = useState('0')
  const [upTo, setUpTo] = useState('')
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!item) return
    if (!(await onAdd(item.id, quantity, discount, upTo.trim()))) return
    setItem(null)
    setQuantity('1')
    setDiscount('0')
    setUpTo('')
  }
  return (
    <form className="inline-form" onSubmit={submit} aria-label={t('billing.add_line')} data-testid="add-line">
      <div className="field">
        <span>{t('billing.item')}</span>
        <ItemPicker chosen={item} onChoose={setItem} testId="line-item" />
      </div>
      <label>
        {t('billing.quantity')}
        <input value={quantity} onChange={(e) => setQuantity(e.target.value)} inputMode="decimal" size={5} data-testid="line-quantity" />
      </label>
      {range && (
        <label>
          {t('billing.up_to')}
          <input value={upTo} onChange={(e) => setUpTo(e.target.value)} inputMode="decimal" size={5} placeholder={t('billing.no_range')} data-testid="line-up-to" />
        </label>
      )}
      <label>
        {t('billing.discount')}
        <input value={discount} onChange={(e) => setDiscount(e.target.value)} inputMode="decimal" size={4} data-testid="line-discount" />
      </label>
      <button type="submit" disabled={busy || !item}>
        {t('billing.add_line')}
      </button>
    </form>
  )
}

function Pay({
  balanceCents,
  busy,
  onPay,
}: {
  balanceCents: number
  busy: boolean
  onPay: (method: string, amount: string) => Promise<unknown>
}) {
  const t = useT()
  const [method, setMethod] = useState('card')
  const [amount, setAmount] = useState(formatCents(balanceCents)) // typed: no sign
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    await onPay(method, amount)
  }
  return (
    <form className="inline-form" onSubmit={submit} aria-label={t('billing.take_payment')} data-testid="pay">
      <MethodField value={method} onChange={setMethod} testId="pay-method" />
      <label>
        {t('billing.amount')}
        <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" size={8} data-testid="pay-amount" />
      </label>
      <button type="submit" disabled={busy}>
        {t('billing.take_payment')}
      </button>
    </form>
  )
}

/**
 * A finalized invoice's corrections — a refund of part or all of what was paid, a void
 * when nothing was paid, a credit note in full (its goods back to stock if chosen) —
 * each with its reason. Core allows them to admins and audits them; others see its
 * refusal.
 */
function Corrections({
  busy,
  paid,
  onRefund,
  onVoid,
  onCredit,
}: {
  busy: boolean
  paid: boolean
  onRefund: (method: string, amount: string, reason: string) => Promise<unknown>
  onVoid: (reason: string) => Promise<unknown>
  onCredit: (reason: string, restock: boolean) => Promise<unknown>
}) {
  const t = useT()
  const [reason, setReason] = useState('')
  const [method, setMethod] = useState('card')
  const [amount, setAmount] = useState('')
  const [restock, setRestock] = useState(true)
  return (
    <fieldset className="corrections" data-testid="corrections">
      <legend>{t('billing.corrections')}</legend>
      <label>
        {t('billing.reason')}
        <input value={reason} onChange={(e) => setReason(e.target.value)} data-testid="correction-reason" />
      </label>
      {paid && (
        <div className="inline-form">
          <MethodField value={method} onChange={setMethod} testId="refund-method" />
          <label>
            {t('billing.amount')}
            <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" size={8} data-testid="refund-amount" />
          </label>
          <button disabled={busy} data-testid="refund" onClick={() => void onRefund(method, amount, reason)}>
            {t('billing.refund')}
          </button>
        </div>
      )}
      <div className="actions">
        {!paid && (
          <button disabled={busy} data-testid="void" onClick={() => void onVoid(reason)}>
            {t('billing.void')}
          </button>
        )}
        <label className="check">
          <input type="checkbox" checked={restock} onChange={(e) => setRestock(e.target.checked)} />
          {t('billing.restock')}
        </label>
        <button disabled={busy} data-testid="credit" onClick={() => void onCredit(reason, restock)}>
          {t('billing.credit_note')}
        </button>
      </div>
    </fieldset>
  )
}

/** How money changes hands: card, cash or transfer (a payment's or a refund's). */
