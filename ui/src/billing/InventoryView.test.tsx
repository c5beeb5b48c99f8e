// The inventory view with the IPC mocked: alerts in words (the reconcile alert after
// two registers sold the last vial), stock by lot, a receipt refused by core with its
// reason, and a count's outcome.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { InventoryView } from './InventoryView'
import { IpcProvider } from '../ipc/IpcProvider'

afterEach(() => {
  cleanup()
  clearMocks()
})

const vial = {
  item: { id: 'v1', sku: 'VAC', name: 'Vaccine vial', kind: 'product', unit: 'vial', price_cents: 2500, vat_rate_bp: 2000, schedule: null, reorder_level_milli: 0, dose_ranges: [] },
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
})
