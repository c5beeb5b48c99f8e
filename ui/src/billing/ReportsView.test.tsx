// The reports view with the IPC mocked: a report from core as a table, another kind
// asked for when chosen, a refusal (revenue is for admins) shown, CSV saved.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { ReportsView } from './ReportsView'
import { IpcProvider } from '../ipc/IpcProvider'

afterEach(() => {
  cleanup()
  clearMocks()
})

describe('ReportsView', () => {
  it('shows the chosen report, refusals, and saves it as CSV', async () => {
    const asked: string[] = []
    mockIPC((cmd, args) => {
      const request = (args as { request: { kind: string; from: string; to: string } }).request
      if (cmd === 'report') {
        asked.push(request.kind)
        if (request.kind === 'revenue_vet') throw { code: 'forbidden', message: 'not allowed: manage the clinic needs a role that grants it' }
        expect(request.from < request.to).toBe(true)
        return {
          title: 'Revenue by day',
          headings: ['day', 'documents', 'net', 'vat', 'total'],
          rows: [['2026-11-22', '3', '150.00', '30.00', '180.00']],
        }
      }
      if (cmd === 'report_csv') return { path: `/data/documents/${request.kind}.csv` }
    })
    render(<ReportsView />, { wrapper: IpcProvider })
    expect((await screen.findByTestId('report')).textContent).toContain('180.00')
    fireEvent.change(screen.getByTestId('report-kind'), { target: { value: 'revenue_vet' } })
    expect((await screen.findByRole('alert')).textContent).toContain('manage the clinic')
    fireEvent.change(screen.getByTestId('report-kind'), { target: { value: 'revenue_day' } })
    expect(await screen.findByTestId('report')).toBeTruthy()
    fireEvent.click(screen.getByTestId('report-csv'))
    expect((await screen.findByTestId('report-saved')).textContent).toContain('/data/documents/revenue_day.csv')
    expect(asked).toEqual(['revenue_day', 'revenue_vet', 'revenue_day'])
  })
})
