// The data layer's rules with the IPC mocked: a write refetches what is on screen (done
// or refused), a document save does not, and a `signed_out` answer from a read or a
// write reaches the one listener.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { useState } from 'react'
import type { IpcError } from './bindings'
import { IpcProvider } from './IpcProvider'
import { useIpcMutation, useIpcQuery, useOnSignedOut } from './query'

afterEach(() => {
  cleanup()
  clearMocks()
})

function Invoices() {
  const list = useIpcQuery('invoicesList', {})
  const pay = useIpcMutation('invoicePay')
  const pdf = useIpcMutation('invoicePdf', { changesRecords: false })
  const [heard, setHeard] = useState<string[]>([])
  useOnSignedOut((error: IpcError) => setHeard((all) => [...all, error.message]))
  return (
    <>
      <p data-testid="count">{list.data?.length ?? '-'}</p>
      <p data-testid="error">{pay.error?.code ?? ''}</p>
      <p data-testid="heard">{heard.join(' | ')}</p>
      <button onClick={() => pay.mutate({ invoice_id: 'i1', method: 'card', amount: '1.00' })}>pay</button>
      <button onClick={() => pdf.mutate({ id: 'i1' })}>pdf</button>
    </>
  )
}

describe('the data layer', () => {
  it('refetches what is shown after a write, done or refused, and not after a document save', async () => {
    let lists = 0
    let payments = 0
    mockIPC((cmd) => {
      if (cmd === 'invoices_list') return Array.from({ length: ++lists }, (_, i) => ({ id: `i${i}` }))
      if (cmd === 'invoice_pay') {
        payments += 1
        if (payments === 2) throw { code: 'not_allowed_now', message: 'this invoice is paid' }
        return {}
      }
      if (cmd === 'invoice_pdf') return { path: '/tmp/i1.pdf' }
    })
    render(<Invoices />, { wrapper: IpcProvider })
    expect((await screen.findByText('1')).dataset.testid).toBe('count')
    fireEvent.click(screen.getByText('pay'))
    await screen.findByText('2')
    fireEvent.click(screen.getByText('pay'))
    await screen.findByText('3')
    expect(screen.getByTestId('error').textContent).toBe('not_allowed_now')
    fireEvent.click(screen.getByText('pdf'))
    fireEvent.click(screen.getByText('pay'))
    await screen.findByText('4')
    expect(lists).toBe(4)
  })

  it('sends signed_out from a read or a write to the one listener', async () => {
    mockIPC((cmd) => {
      if (cmd === 'invoices_list') throw { code: 'signed_out', message: 'locked after inactivity' }
      if (cmd === 'invoice_pay') throw { code: 'signed_out', message: 'signed out elsewhere' }
    })
    render(<Invoices />, { wrapper: IpcProvider })
    await screen.findByText('locked after inactivity')
    fireEvent.click(screen.getByText('pay'))
    await screen.findByText(/signed out elsewhere/)
    expect(screen.getByTestId('heard').textContent).toMatch(/^locked after inactivity \| signed out elsewhere/)
  })
})
