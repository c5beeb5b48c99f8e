// The client card with the IPC mocked: the patients with their numbers, and — where
// core lets the person see billing — the client's balance in the clinic's currency and
// the statement saved as a PDF; where core refuses the statement, no account part.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { ClientsView } from './ClientsView'
import { IpcProvider } from '../ipc/IpcProvider'
import type { ClientDetail, Statement } from '../ipc/bindings'

afterEach(() => {
  cleanup()
  clearMocks()
})

const detail: ClientDetail = {
  client: {
    id: 'c1',
    created_at: '2026-11-22T09:00:00Z',
    first_name: 'Ann',
    last_name: 'Ng',
    phone: '+44 20 7946 0958',
    email: null,
    address: null,
    consent_email: true,
    consent_sms: false,
    consent_recording: true,
    notes: null,
  },
  patients: [
    {
      id: 'p1',
      number: '7F3A2C-42',
      created_at: '2026-11-22T09:00:00Z',
      name: 'Bella',
      species: 'dog',
      breed: null,
      sex: 'female',
      neutered: false,
      date_of_birth: null,
      microchip: null,
      colour: null,
      allergies: null,
      alerts: null,
      deceased: false,
      owners: [{ client_id: 'c1', name: 'Ann Ng', primary: true }],
    },
  ],
}

const owing: Statement = {
  client_id: 'c1',
  client_name: 'Ann Ng',
  entries: [{ at: '2026-11-22T10:00:00Z', what: 'invoice', reference: '7F3A2C-000001', amount_cents: 6442, balance_cents: 6442 }],
  balance_cents: 6442,
}

describe('ClientsView: the client card', () => {
  it("shows the balance in the clinic's currency and saves the statement", async () => {
    mockIPC((cmd) => {
      switch (cmd) {
        case 'client_detail':
          return detail
        case 'clinic_settings':
          return { name: 'Harbour Vets', currency: 'GBP', language: 'en' }
        case 'client_statement':
          return owing
        case 'statement_pdf':
          return { path: '/data/documents/statement-c1-2026-12-05.pdf' }
      }
    })
    render(<ClientsView page={{ kind: 'client', clientId: 'c1' }} go={() => {}} />, { wrapper: IpcProvider })
    const card = await screen.findByTestId('client-card')
    expect(within(card).getByTestId('patient-number').textContent).toBe('7F3A2C-42')
    expect((await within(card).findByText('Balance due: £64.42')).dataset.testid).toBe('client-balance')
    fireEvent.click(within(card).getByRole('button', { name: 'Statement (PDF)' }))
    expect((await within(card).findByTestId('saved-statement')).getAttribute('data-path')).toBe(
      '/data/documents/statement-c1-2026-12-05.pdf',
    )
  })

  it('has no account part for a role core does not let see billing', async () => {
    let refused = false
    mockIPC((cmd) => {
      if (cmd === 'client_detail') return detail
      if (cmd === 'client_statement') {
        refused = true
        throw { code: 'forbidden', message: 'not allowed: bill needs a role that grants it (signed in as vet)' }
      }
    })
    render(<ClientsView page={{ kind: 'client', clientId: 'c1' }} go={() => {}} />, { wrapper: IpcProvider })
    const card = await screen.findByTestId('client-card')
    await waitFor(() => expect(refused).toBe(true))
    // Let the refusal reach the card before looking.
    await new Promise((settle) => setTimeout(settle, 100))
    expect(within(card).getByText('Bella')).toBeTruthy()
    expect(within(card).queryByTestId('client-account')).toBeNull()
    expect(within(card).queryByRole('alert')).toBeNull()
  })
})
