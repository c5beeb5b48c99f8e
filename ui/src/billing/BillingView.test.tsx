// The billing view with the IPC mocked: a drafted invoice gets a line from the
// catalog, is finalized, paid by card and its receipt saved; a refusal from core (a
// discount too large for the role) is shown as it came.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { BillingView } from './BillingView'
import { IpcProvider } from '../ipc/IpcProvider'
import type { InvoiceView } from '../ipc/bindings'

afterEach(() => {
  cleanup()
  clearMocks()
})

const totals = (net: number, vat: number) => ({
  lines: [],
  discount_cents: 0,
  net_cents: net,
  vat: [{ rate_bp: 2000, net_cents: net, vat_cents: vat }],
  vat_cents: vat,
  total_cents: net + vat,
})

const line = (id: string, description: string, quantity: number, price: number, prescribed = false) => ({
  id,
  position: 1,
  item_id: 'item-' + id,
  description,
  quantity_milli: quantity,
  unit_price_cents: price,
  vat_rate_bp: 2000,
  discount_bp: 0,
  prescription_id: prescribed ? 'rx1' : null,
  gross_cents: (quantity * price) / 1000,
  discount_cents: 0,
  net_cents: (quantity * price) / 1000,
})

function draft(): InvoiceView {
  return {
    id: 'inv1',
    kind: 'invoice',
    status: 'draft',
    number: null,
    client_id: 'c1',
    client_name: 'Ann Ng',
    patient_id: 'p1',
    patient_name: 'Bella',
    encounter_id: 'e1',
    source_id: null,
    created_at: '2026-11-22T09:00:00Z',
    finalized_at: null,
    lines: [line('l1', 'Carprofen 50 mg', 14000, 62, true)],
    totals: totals(868, 174),
    high_totals: null,
    payments: [],
    paid_cents: 0,
    balance_cents: 1042,
    payment_status: 'draft',
    void_reason: null,
    late_edits: false,
    snapshot_intact: true,
  }
}

describe('BillingView', () => {
  it('adds a line, finalizes, takes a card payment and saves the receipt', async () => {
    let invoice = draft()
    const calls: string[] = []
    mockIPC((cmd, args) => {
      calls.push(cmd)
      const request = (args as { request?: Record<string, string> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'invoices_list':
          return [{ id: 'inv1', kind: 'invoice', status: invoice.status, number: invoice.number, client_name: 'Ann Ng', created_at: invoice.created_at, finalized_at: null, total_cents: null, paid_cents: 0 }]
        case 'invoice_view':
          return invoice
        case 'sale_items':
          return [{ id: 'cons', sku: 'CONS', barcode: '', name: 'Consultation', kind: 'service', unit: 'visit', price_cents: 4500, vat_rate_bp: 2000, schedule: null, reorder_level_milli: 0, dose_ranges: [], on_hand_milli: null, exact: false }]
        case 'invoice_add_line':
          if (request.discount === '50') throw { code: 'forbidden', message: 'not allowed: give a discount that large needs a role that grants it (signed in as front_desk (up to 5 %))' }
          expect(request).toEqual({ invoice_id: 'inv1', item_id: 'cons', quantity: '1', discount: '0' })
          invoice = { ...invoice, lines: [...invoice.lines, line('l2', 'Consultation', 1000, 4500)], totals: totals(5368, 1074), balance_cents: 6442 }
          return 'l2'
        case 'invoice_finalize':
          invoice = { ...invoice, status: 'finalized', number: '7F3A2C-000001', payment_status: 'unpaid', finalized_at: '2026-11-22T10:00:00Z' }
          return { number: '7F3A2C-000001', total_cents: 6442, label_lines: ['l1'], short: [] }
        case 'invoice_pay':
          expect(request).toEqual({ invoice_id: 'inv1', method: 'card', amount: '64.42' })
          invoice = { ...invoice, payment_status: 'paid', paid_cents: 6442, balance_cents: 0, payments: [{ id: 'p1', method: 'card', amount_cents: 6442, register: '7F3A2C', taken_by: 'Fred Desk', taken_at: '2026-11-22T10:01:00Z', reference: '' }] }
          return invoice
        case 'invoice_pdf':
          return { path: '/data/documents/7F3A2C-000001.pdf' }
      }
    })
    render(<BillingView />, { wrapper: IpcProvider })
    fireEvent.click(await screen.findByRole('button', { name: '(draft)' }))
    expect((await screen.findByTestId('invoice-lines')).textContent).toContain('prescribed')
    // A discount beyond the role's limit: core's refusal, shown.
    // The item found as it is typed, and Enter takes it.
    fireEvent.change(await screen.findByTestId('line-item-search'), { target: { value: 'cons' } })
    await screen.findByText('Consultation')
    fireEvent.keyDown(screen.getByTestId('line-item-search'), { key: 'Enter' })
    expect((await screen.findByTestId('line-item-chosen')).textContent).toContain('Consultation')
    fireEvent.change(screen.getByTestId('line-discount'), { target: { value: '50' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add the line' }))
    expect((await screen.findByRole('alert')).textContent).toContain('up to 5 %')
    fireEvent.change(screen.getByTestId('line-discount'), { target: { value: '0' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add the line' }))
    expect(await screen.findByText('64.42')).toBeTruthy()
    fireEvent.click(screen.getByTestId('finalize'))
    expect((await screen.findByText('Invoice 7F3A2C-000001')).getAttribute('data-testid')).toBe('invoice-title')
    const pay = await screen.findByTestId('pay')
    expect((within(pay).getByTestId('pay-amount') as HTMLInputElement).value).toBe('64.42')
    fireEvent.click(within(pay).getByRole('button', { name: 'Take the payment' }))
    expect(await screen.findByText('Balance due: 0.00')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Save the receipt (PDF)' }))
    expect((await screen.findByTestId('saved-pdf')).getAttribute('data-path')).toBe('/data/documents/7F3A2C-000001.pdf')
    expect(calls).toContain('invoice_pdf')
  })

  it("writes every amount in the clinic's currency", async () => {
    const paid = { ...draft(), status: 'finalized', number: '7F3A2C-000002', payment_status: 'paid', paid_cents: 1042, balance_cents: 0 }
    mockIPC((cmd) => {
      switch (cmd) {
        case 'clinic_settings':
          return { name: 'Harbour Vets', currency: 'GBP', language: 'en' }
        case 'invoices_list':
          return [{ id: 'inv1', kind: 'invoice', status: 'finalized', number: '7F3A2C-000002', client_name: 'Ann Ng', created_at: paid.created_at, finalized_at: null, total_cents: 1042, paid_cents: 1042 }]
        case 'invoice_view':
          return paid
      }
    })
    render(<BillingView />, { wrapper: IpcProvider })
    expect(await screen.findAllByText('£10.42')).toHaveLength(2)
    fireEvent.click(screen.getByRole('button', { name: '7F3A2C-000002' }))
    expect((await screen.findByTestId('invoice-total')).textContent).toBe('£10.42')
    expect((await screen.findByTestId('balance')).textContent).toBe('Balance due: £0.00')
  })

  it('starts an invoice for any client, lists the unpaid ones, and turns an accepted estimate into an invoice', async () => {
    const created: unknown[] = []
    const accepted: string[] = []
    const summary = (id: string, kind: string, status: string, total: number | null, paid: number) => ({
      id, kind, status, number: status === 'draft' ? null : `7F3A2C-00000${id.slice(-1)}`, client_name: 'Ann Ng',
      created_at: '2026-11-22T09:00:00Z', finalized_at: null, total_cents: total, paid_cents: paid,
    })
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, string> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'invoices_list':
          return [summary('est1', 'estimate', 'finalized', 2000, 0), summary('inv2', 'invoice', 'finalized', 1000, 0), summary('inv3', 'invoice', 'finalized', 1000, 1000)]
        case 'search':
          return [{ kind: 'client', id: 'c1', title: 'Ann Ng', detail: '+44 20 7946 0958', score: 9 }, { kind: 'patient', id: 'p1', title: 'Bella', detail: 'dog', score: 5 }]
        case 'client_detail':
          return { client: { id: 'c1' }, patients: [{ id: 'p1', name: 'Bella' }] }
        case 'invoice_new':
          created.push(request)
          return 'new1'
        case 'estimate_accept':
          accepted.push(request.id)
          return 'inv9'
        case 'invoice_view':
          if (request.id === 'est1') return { ...draft(), id: 'est1', kind: 'estimate', status: 'finalized', number: '7F3A2C-000001', payment_status: 'estimate' }
          if (request.id === 'inv9') return { ...draft(), id: 'inv9', source_id: 'est1' }
          return { ...draft(), id: request.id, lines: [] }
      }
    })
    render(<BillingView />, { wrapper: IpcProvider })
    // From the keyboard: the client's name, Enter, the animal, Create.
    const form = await screen.findByTestId('new-document')
    fireEvent.change(within(form).getByTestId('new-client-search'), { target: { value: 'ann' } })
    await within(form).findByText('Ann Ng')
    fireEvent.keyDown(within(form).getByTestId('new-client-search'), { key: 'Enter' })
    expect((await within(form).findByTestId('new-client')).textContent).toBe('Ann Ng')
    await within(form).findByText('Bella')
    fireEvent.change(within(form).getByTestId('new-patient'), { target: { value: 'p1' } })
    fireEvent.click(within(form).getByTestId('create-document'))
    expect((await screen.findByTestId('invoice-title')).textContent).toBe('Invoice (draft)')
    expect(created).toEqual([{ kind: 'invoice', client_id: 'c1', patient_id: 'p1' }])

    // The day's unpaid invoices.
    fireEvent.click(screen.getByText(/All invoices/))
    fireEvent.click(await screen.findByTestId('unpaid-only'))
    const rows = within(screen.getByTestId('invoice-list')).getAllByRole('row').slice(1)
    expect(rows.map((r) => r.getAttribute('data-invoice'))).toEqual(['inv2'])

    // The client accepts the estimate: its invoice opens.
    fireEvent.click(screen.getByTestId('unpaid-only'))
    fireEvent.click(await screen.findByRole('button', { name: '7F3A2C-000001' }))
    fireEvent.click(await screen.findByTestId('accept-estimate'))
    await waitFor(() => expect(accepted).toEqual(['est1']))
    await waitFor(() => expect(screen.getByTestId('invoice-title').textContent).toBe('Invoice (draft)'))
  })

  it('refunds part of a payment with its reason, shows a refusal beside the act, and opens a credit note', async () => {
    const asked: unknown[] = []
    const payment = { id: 'p1', method: 'card', amount_cents: 6442, register: '7F3A2C', taken_by: 'Fred Desk', taken_at: '2026-11-22T10:01:00Z', reference: '' }
    let invoice = { ...draft(), status: 'finalized', number: '7F3A2C-000001', payment_status: 'paid', paid_cents: 6442, balance_cents: 0, payments: [payment] }
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, unknown> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'invoices_list':
          return [{ id: 'inv1', kind: 'invoice', status: 'finalized', number: '7F3A2C-000001', client_name: 'Ann Ng', created_at: invoice.created_at, finalized_at: null, total_cents: 6442, paid_cents: invoice.paid_cents }]
        case 'invoice_view':
          return request.id === 'cn1' ? { ...invoice, id: 'cn1', kind: 'credit_note', number: 'CN-7F3A2C-000001' } : invoice
        case 'invoice_refund':
          asked.push(request)
          if (request.reason === '') throw { code: 'invalid', message: 'reason is required', field: 'reason' }
          invoice = { ...invoice, paid_cents: 4442, balance_cents: 2000, payment_status: 'part_paid', payments: [payment, { ...payment, id: 'p2', amount_cents: -2000 }] }
          return invoice
        case 'invoice_credit':
          asked.push(request)
          return 'cn1'
      }
    })
    render(<BillingView />, { wrapper: IpcProvider })
    fireEvent.click(await screen.findByRole('button', { name: '7F3A2C-000001' }))
    const corrections = await screen.findByTestId('corrections')
    fireEvent.change(within(corrections).getByTestId('refund-amount'), { target: { value: '20' } })
    fireEvent.click(within(corrections).getByTestId('refund'))
    expect((await screen.findByRole('alert')).textContent).toContain('reason is required')
    fireEvent.change(within(corrections).getByTestId('correction-reason'), { target: { value: 'one tablet returned' } })
    fireEvent.click(within(corrections).getByTestId('refund'))
    await waitFor(() => expect(screen.getByTestId('balance').textContent).toBe('Balance due: 20.00'))
    expect(asked[1]).toEqual({ invoice_id: 'inv1', method: 'card', amount: '20', reason: 'one tablet returned' })
    fireEvent.click(within(screen.getByTestId('corrections')).getByTestId('credit'))
    await waitFor(() => expect(screen.getByTestId('invoice-title').textContent).toBe('Credit note CN-7F3A2C-000001'))
    expect(asked[2]).toEqual({ invoice_id: 'inv1', reason: 'one tablet returned', restock: true })
  })

  it("gives an estimate's line a range and shows the estimate's high end", async () => {
    const added: unknown[] = []
    let estimate: InvoiceView = { ...draft(), kind: 'estimate', lines: [], totals: totals(0, 0), payment_status: 'draft' }
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, string> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'invoices_list':
          return [{ id: 'inv1', kind: 'estimate', status: 'draft', number: null, client_name: 'Ann Ng', created_at: estimate.created_at, finalized_at: null, total_cents: null, paid_cents: 0 }]
        case 'invoice_view':
          return estimate
        case 'sale_items':
          return [{ id: 'xr', sku: 'XRAY', barcode: '', name: 'Radiograph', kind: 'service', unit: 'view', price_cents: 4000, vat_rate_bp: 2000, schedule: null, reorder_level_milli: 0, dose_ranges: [], on_hand_milli: null, exact: false }]
        case 'invoice_add_line':
          added.push(request)
          estimate = {
            ...estimate,
            lines: [{ ...line('l1', 'Radiograph', 1000, 4000), quantity_high_milli: 3000 }],
            totals: totals(4000, 800),
            high_totals: totals(12000, 2400),
          }
          return 'l1'
      }
    })
    render(<BillingView />, { wrapper: IpcProvider })
    fireEvent.click(await screen.findByRole('button', { name: '(draft)' }))
    fireEvent.change(await screen.findByTestId('line-item-search'), { target: { value: 'radio' } })
    fireEvent.mouseDown(await screen.findByRole('option', { name: /Radiograph/ }))
    fireEvent.change(screen.getByTestId('line-up-to'), { target: { value: '3' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add the line' }))
    await waitFor(() => expect(added).toHaveLength(1))
    expect((await screen.findByTestId('invoice-high-total')).textContent).toBe('144.00')
    expect(within(screen.getByTestId('invoice-lines')).getByText('1–3')).toBeTruthy()
    expect(added).toEqual([{ invoice_id: 'inv1', item_id: 'xr', quantity: '1', discount: '0', quantity_high: '3' }])
  })
})
