// The counter sale with the IPC mocked, done from the keyboard as the front desk does
// it: type, ↓, Enter; a scan faster than its answer; a quantity; half cash and the
// rest by card; Ctrl+Enter; core's refusal shown as it came; the receipt saved.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { CounterSale } from './CounterSale'
import { addToBasket } from './basket'
import { IpcProvider } from '../ipc/IpcProvider'
import type { SaleItem } from '../ipc/bindings'

afterEach(() => {
  cleanup()
  clearMocks()
})

const item = (id: string, name: string, sku: string, price: number, onHand: number | null): SaleItem => ({
  id,
  sku,
  barcode: '',
  name,
  kind: onHand === null ? 'service' : 'product',
  unit: 'bag',
  price_cents: price,
  vat_rate_bp: 500,
  schedule: null,
  reorder_level_milli: 0,
  dose_ranges: [],
  on_hand_milli: onHand,
  exact: false,
})

const food = item('food', 'Renal diet 2 kg', 'PRD-FOOD', 2000, 3000)
const treats = item('treats', 'Renal treats', 'PRD-TREAT', 450, 12000)
const clip = item('clip', 'Nail clip', 'SRV-NAIL', 800, null)

const totals = (total: number) => ({ lines: [], discount_cents: 0, net_cents: total, vat: [], vat_cents: 0, total_cents: total })

describe('addToBasket', () => {
  it('adds a new line, or one more of an item already in the basket', () => {
    const once = addToBasket([], food)
    expect(once.map((l) => l.quantity)).toEqual(['1'])
    expect(addToBasket(once, food).map((l) => l.quantity)).toEqual(['2'])
    expect(addToBasket([{ item: food, quantity: '2,5' }], food)[0].quantity).toBe('3.5')
    expect(addToBasket(once, clip).map((l) => l.item.id)).toEqual(['food', 'clip'])
  })
})

describe('CounterSale', () => {
  it('sells from the keyboard: ↓ and Enter, a scan, a split payment, Ctrl+Enter, the receipt', async () => {
    const sales: unknown[] = []
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, unknown> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'clinic_settings':
          return { name: 'Harbour Vets', currency: 'GBP', language: 'en' }
        case 'sale_items': {
          const query = String(request.query).toLowerCase()
          if (query === '5012345678900') return [{ ...food, exact: true }]
          return [food, treats, clip].filter((i) => i.name.toLowerCase().includes(query))
        }
        case 'sale_quote': {
          const lines = request.lines as { item_id: string; quantity: string }[]
          const prices: Record<string, number> = { food: 2100, treats: 473, clip: 960 }
          return totals(lines.reduce((sum, l) => sum + Math.round(prices[l.item_id] * Number(l.quantity)), 0))
        }
        case 'counter_sale':
          sales.push(request)
          if ((request.payments as { amount: string }[])[0].amount === '1') {
            throw { code: 'invalid', field: 'amount', message: 'a walk-in pays in full: 1.00 of 51.46 is paid' }
          }
          return { invoice_id: 'inv7', number: '7F3A2C-000007', total_cents: 5146, paid_cents: 5146, change_cents: 0, balance_cents: 0, label_lines: [], short: [] }
        case 'invoice_pdf':
          return { path: '/data/documents/7F3A2C-000007.pdf' }
      }
    })
    render(<CounterSale />, { wrapper: IpcProvider })
    const search = screen.getByTestId('sale-search')
    expect(document.activeElement).toBe(search)

    // "renal": two hits; ↓ chooses the second, Enter adds it.
    fireEvent.change(search, { target: { value: 'renal' } })
    const hits = await screen.findByTestId('sale-hits')
    await within(hits).findByText('Renal treats')
    expect(within(hits).getByText('3 in stock')).toBeTruthy()
    fireEvent.keyDown(search, { key: 'ArrowDown' })
    expect(search.getAttribute('aria-activedescendant')).toBe('sale-hit-1')
    fireEvent.keyDown(search, { key: 'Enter' })
    const basket = await screen.findByTestId('sale-basket')
    expect(within(basket).getByText('Renal treats')).toBeTruthy()
    expect((search as HTMLInputElement).value).toBe('')

    // A scanner types the barcode and Enter before any answer: the exact item is asked for.
    fireEvent.change(search, { target: { value: '5012345678900' } })
    fireEvent.keyDown(search, { key: 'Enter' })
    await within(basket).findByText('Renal diet 2 kg')
    // A second scan is one more bag.
    fireEvent.change(search, { target: { value: '5012345678900' } })
    fireEvent.keyDown(search, { key: 'Enter' })
    await waitFor(() =>
      expect(within(basket).getAllByTestId('sale-quantity').map((i) => (i as HTMLInputElement).value)).toEqual(['1', '2']),
    )
    fireEvent.change(search, { target: { value: 'xylitol' } })
    fireEvent.keyDown(search, { key: 'Enter' })
    expect((await screen.findByTestId('sale-not-found')).textContent).toContain('xylitol')
    fireEvent.keyDown(search, { key: 'Escape' })
    expect(screen.queryByTestId('sale-not-found')).toBeNull()
    expect((await screen.findByTestId('sale-total')).textContent).toBe('Total £46.73')
    fireEvent.change(within(basket).getAllByTestId('sale-quantity')[0], { target: { value: '2' } })
    await waitFor(() => expect(screen.getByTestId('sale-total').textContent).toBe('Total £51.46'))

    // Half in cash, the rest by card; a refusal from core first.
    fireEvent.change(screen.getByTestId('sale-amount-0'), { target: { value: '1' } })
    fireEvent.click(screen.getByTestId('sale-split'))
    expect((screen.getByTestId('sale-method-1') as HTMLSelectElement).value).toBe('card')
    fireEvent.keyDown(search, { key: 'Enter', ctrlKey: true })
    expect((await screen.findByRole('alert')).textContent).toContain('a walk-in pays in full')
    fireEvent.change(screen.getByTestId('sale-amount-0'), { target: { value: '25.73' } })
    fireEvent.keyDown(screen.getByTestId('sale-amount-0'), { key: 'Enter', ctrlKey: true })
    const done = await screen.findByTestId('sale-done')
    expect(done.textContent).toContain('Sale 7F3A2C-000007: £51.46, paid £51.46.')
    expect(sales[1]).toEqual({
      lines: [
        { item_id: 'treats', quantity: '2' },
        { item_id: 'food', quantity: '2' },
      ],
      payments: [
        { method: 'cash', amount: '25.73' },
        { method: 'card', amount: '' },
      ],
    })
    // Ready for the next customer.
    expect(screen.queryByTestId('sale-basket')).toBeNull()
    expect(document.activeElement).toBe(search)
    fireEvent.click(within(done).getByTestId('sale-receipt'))
    expect((await screen.findByTestId('sale-receipt-saved')).textContent).toContain('/data/documents/7F3A2C-000007.pdf')
  })

  it('puts the rest on a chosen client’s account', async () => {
    const sales: Record<string, unknown>[] = []
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, unknown> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'sale_items':
          return [clip]
        case 'sale_quote':
          return totals(960)
        case 'search':
          return [{ kind: 'client', id: 'c1', title: 'Ann Ng', detail: '+44 20 7946 0958', score: 9 }]
        case 'counter_sale':
          sales.push(request)
          return { invoice_id: 'inv8', number: '7F3A2C-000008', total_cents: 960, paid_cents: 500, change_cents: 0, balance_cents: 460, label_lines: [], short: [] }
      }
    })
    render(<CounterSale />, { wrapper: IpcProvider })
    const search = screen.getByTestId('sale-search')
    fireEvent.change(search, { target: { value: 'nail' } })
    await screen.findByText('service')
    fireEvent.keyDown(search, { key: 'Enter' })
    await screen.findByTestId('sale-basket')
    fireEvent.change(screen.getByTestId('sale-client-search'), { target: { value: 'ann' } })
    await screen.findByText('Ann Ng')
    fireEvent.keyDown(screen.getByTestId('sale-client-search'), { key: 'Enter' })
    expect((await screen.findByTestId('sale-client')).textContent).toBe('Ann Ng')
    fireEvent.change(screen.getByTestId('sale-amount-0'), { target: { value: '5' } })
    fireEvent.click(screen.getByTestId('sale-complete'))
    expect((await screen.findByTestId('sale-done')).textContent).toContain('On the client’s account: 4.60')
    expect(sales[0].client_id).toBe('c1')
  })
})
