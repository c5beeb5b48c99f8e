// The inventory view with the IPC mocked: alerts in words (the reconcile alert after
// two registers sold the last vial), stock by lot, a receipt refused by core with its
// reason, and a count's outcome; the catalog's item form and price history; an order
// drafted from the reorder list, placed and delivered in part; a stock take.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { InventoryView } from './InventoryView'
import { IpcProvider } from '../ipc/IpcProvider'
import type { PurchaseOrder } from '../ipc/bindings'

afterEach(() => {
  cleanup()
  clearMocks()
})

const vial = {
  item: { id: 'v1', sku: 'VAC', barcode: '', name: 'Vaccine vial', kind: 'product', unit: 'vial', price_cents: 2500, vat_rate_bp: 2000, schedule: null, reorder_level_milli: 0, dose_ranges: [] },
  on_hand_milli: -1000,
  reserved_milli: 0,
  available_milli: -1000,
  lots: [{ lot_id: 'l1', lot_number: 'V-1', expires_on: '2027-01-31', cost_cents: 900, on_hand_milli: -1000 }],
}

describe('InventoryView', () => {
  it('shows what needs attention, stock by lot, refusals and counts', async () => {
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, string> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'stock_levels':
          return [vial]
        case 'stock_alerts':
          return [{ kind: 'reconcile', item_id: 'v1', item: 'Vaccine vial', on_hand_milli: -1000 }]
        case 'stock_receive':
          throw { code: 'forbidden', message: 'not allowed: manage stock needs a role that grants it (signed in as front_desk)' }
        case 'stock_count':
          expect(request).toEqual({ item_id: 'v1', counted: '0', note: '' })
          return { count_id: 'c1', expected_milli: -1000, counted_milli: 0, adjusted: true, discrepancy: false }
      }
    })
    render(<InventoryView />, { wrapper: IpcProvider })
    const alerts = await screen.findByTestId('stock-alerts')
    expect(alerts.textContent).toContain('Vaccine vial: -1 on hand')
    expect(within(screen.getByTestId('stock-levels')).getByText('V-1 (2027-01-31): -1')).toBeTruthy()
    const receive = screen.getByTestId('receive')
    fireEvent.change(within(receive).getByTestId('receive-item'), { target: { value: 'v1' } })
    fireEvent.click(within(receive).getByRole('button', { name: 'Receive stock' }))
    expect((await within(receive).findByRole('alert')).textContent).toContain('manage stock')
    const count = screen.getByTestId('count')
    fireEvent.change(within(count).getByTestId('count-item'), { target: { value: 'v1' } })
    fireEvent.change(within(count).getByTestId('count-counted'), { target: { value: '0' } })
    fireEvent.click(within(count).getByRole('button', { name: 'Record a count' }))
    expect((await within(count).findByRole('status')).textContent).toContain('stock adjusted to the count')
  })

  it('edits an item and shows its price history', async () => {
    const saved: unknown[] = []
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, unknown> } | undefined)?.request ?? {}
      switch (cmd) {
        case 'catalog_list':
          return [{ ...vial.item, kind: 'drug', name: 'Carprofen 50 mg', sku: 'CARP50', unit: 'tablet', price_cents: 62 }]
        case 'price_history':
          return [
            { price_cents: 70, vat_rate_bp: 2000, changed_by: 'Olivia Owner', changed_at: '2026-12-01T10:00:00Z' },
            { price_cents: 62, vat_rate_bp: 2000, changed_by: 'Olivia Owner', changed_at: '2026-11-01T10:00:00Z' },
          ]
        case 'catalog_save':
          saved.push(request)
          if (saved.length === 1) throw { code: 'invalid', field: 'dose_ranges', message: 'dog: the range must run from more than 0 up to at least its minimum' }
          return 'v1'
      }
    })
    render(<InventoryView />, { wrapper: IpcProvider })
    fireEvent.click(screen.getByRole('tab', { name: 'Catalog and prices' }))
    fireEvent.click(await screen.findByRole('button', { name: 'Edit' }))
    const form = screen.getByTestId('item-form')
    expect((within(form).getByTestId('item-price') as HTMLInputElement).value).toBe('0.62')
    expect((await within(form).findByTestId('price-history')).textContent).toContain('0.70')
    fireEvent.change(within(form).getByTestId('item-price'), { target: { value: '0.75' } })
    fireEvent.click(within(form).getByTestId('add-range'))
    fireEvent.change(within(form).getByTestId('range-min'), { target: { value: '0' } })
    fireEvent.click(within(form).getByTestId('save-item'))
    expect((await within(form).findByRole('alert')).textContent).toContain('dog: the range')
    fireEvent.change(within(form).getByTestId('range-min'), { target: { value: '2' } })
    fireEvent.change(within(form).getByTestId('range-max'), { target: { value: '4.4' } })
    fireEvent.click(within(form).getByTestId('save-item'))
    await waitFor(() => expect(saved).toHaveLength(2))
    expect(saved[1]).toMatchObject({ id: 'v1', sku: 'CARP50', price: '0.75', dose_ranges: [{ species: 'dog', min_mg_per_kg: 2, max_mg_per_kg: 4.4 }] })
  })

  it('orders from the reorder list, places the order and receives part of it', async () => {
    const asked: Record<string, unknown[]> = {}
    let orders: PurchaseOrder[] = []
    const order = (status: string, received: number): PurchaseOrder => ({
      id: 'o1', number: 'PO-7F3A2C-1', supplier: 'Vet Wholesale', status, note: '', created_at: '2026-12-05T10:00:00Z', ordered_at: null,
      lines: [{ id: 'ol1', item_id: 'v1', item_name: 'Vaccine vial', sku: 'VAC', quantity_milli: 10_000, received_milli: received, cost_cents: 900 }],
    })
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, unknown> } | undefined)?.request
      ;(asked[cmd] ??= []).push(request)
      switch (cmd) {
        case 'purchase_orders':
          return orders
        case 'order_from_reorder_list':
          orders = [order('draft', 0)]
          return 'o1'
        case 'order_place':
          orders = [order('ordered', 0)]
          return null
        case 'order_receive':
          orders = [order('part_received', 4000)]
          return orders[0]
      }
    })
    render(<InventoryView />, { wrapper: IpcProvider })
    fireEvent.click(screen.getByRole('tab', { name: 'Orders' }))
    fireEvent.change(await screen.findByTestId('order-supplier'), { target: { value: 'Vet Wholesale' } })
    fireEvent.click(screen.getByRole('button', { name: 'Order what is at its reorder level' }))
    fireEvent.click(await screen.findByTestId('place-order'))
    const delivery = await screen.findByTestId('delivery-form')
    fireEvent.change(within(delivery).getByTestId('delivery-lot'), { target: { value: 'V-2' } })
    fireEvent.change(within(delivery).getByTestId('delivery-quantity'), { target: { value: '4' } })
    fireEvent.click(within(delivery).getByRole('button', { name: 'Receive the delivery' }))
    await waitFor(() => expect(screen.getByTestId('order-status').textContent).toBe('Partly received'))
    expect(screen.getByTestId('line-received').textContent).toBe('4')
    expect(asked.order_receive).toEqual([{ line_id: 'ol1', lot_number: 'V-2', expires_on: '', quantity: '4', cost: '' }])
  })

  it('records a stock take of what was counted', async () => {
    const asked: unknown[] = []
    mockIPC((cmd, args) => {
      switch (cmd) {
        case 'stock_levels':
          return [vial, { ...vial, item: { ...vial.item, id: 'v2', sku: 'FOOD', name: 'Renal diet' }, on_hand_milli: 3000 }]
        case 'stock_take':
          asked.push((args as { request: unknown }).request)
          return [{ count_id: 'c1', expected_milli: 3000, counted_milli: 2000, adjusted: true, discrepancy: false }]
      }
    })
    render(<InventoryView />, { wrapper: IpcProvider })
    fireEvent.click(screen.getByRole('tab', { name: 'Stock take' }))
    fireEvent.change(await screen.findByLabelText('Renal diet'), { target: { value: '2' } })
    fireEvent.click(screen.getByRole('button', { name: 'Record 1 counts' }))
    expect((await screen.findByTestId('take-done')).textContent).toContain('1 counted: 1 adjusted')
    expect(asked).toEqual([{ counts: [{ item_id: 'v2', counted: '2' }], note: '' }])
  })
})
