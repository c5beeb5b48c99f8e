// The billing view with the IPC mocked: a drafted invoice gets a line from the
// catalog, is finalized, paid by card and its receipt saved; a refusal from core (a
// discount too large for the role) is shown as it came.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
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
        case 'catalog_list':
          return [{ id: 'cons', sku: 'CONS', name: 'Consultation', kind: 'service', unit: 'visit', price_cents: 4500, vat_rate_bp: 2000, schedule: null, reorder_level_milli: 0, dose_ranges: [] }]
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
    fireEvent.change(await screen.findByTestId('line-item'), { target: { value: 'cons' } })
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
})
