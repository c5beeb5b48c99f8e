// The clinic's details in Settings with the IPC mocked: the form starts from core's
// settings, a currency core refuses is shown beside its field, a good save sends every
// setting (the VAT rate in basis points) and says what changed.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { Settings } from './Settings'
import { IpcProvider } from '../ipc/IpcProvider'
import type { AppStatus, ClinicSettings } from '../ipc/bindings'

afterEach(() => {
  cleanup()
  clearMocks()
})

const status: AppStatus = {
  clinic_name: 'Riverside Vets',
  clinic_id: '0190a000-0000-7000-8000-000000000001',
  device_id: '0190a000-0000-7000-8000-000000000002',
  device_name: 'Front desk 2',
  device_fingerprint: '3f2a-91c4-0b7e-55d1',
  schema_version: 21,
  key_protection: 'passphrase',
  cipher_version: '4.6.1 community',
  data_dir: '/tmp/vetdesk',
  app_version: '0.1.0',
}

const stored: ClinicSettings = {
  name: 'Riverside Vets',
  legal_name: null,
  address: null,
  phone: null,
  email: null,
  vat_number: null,
  registration: null,
  currency: 'EUR',
  default_vat_bp: null,
  document_text: null,
  payment_terms: null,
  language: 'en',
  time_zone: null,
}

describe('Settings: clinic details', () => {
  it('saves the clinic details through core and shows its refusals beside the field', async () => {
    const saved: ClinicSettings[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'clinic_settings') return stored
      if (cmd === 'save_clinic_settings') {
        const request = (args as { request: ClinicSettings }).request
        if (request.currency === 'JPY') {
          throw {
            code: 'invalid',
            message: 'JPY has 0 minor units; Vetdesk keeps amounts in hundredths',
            field: 'currency',
          }
        }
        saved.push(request)
        return ['address', 'vat_number', 'currency', 'default_vat_bp']
      }
    })
    render(<Settings status={status} />, { wrapper: IpcProvider })
    const form = await screen.findByTestId('clinic-details')
    const field = (label: string) => within(form).getByLabelText(label)
    expect((field('Name shown in the app') as HTMLInputElement).value).toBe('Riverside Vets')
    fireEvent.change(field('Address'), { target: { value: '12 Mill Lane\nYork' } })
    fireEvent.change(field('VAT number'), { target: { value: 'GB123456789' } })
    fireEvent.change(field('Currency (ISO 4217 code)'), { target: { value: 'jpy' } })
    fireEvent.change(field('Default VAT rate (%)'), { target: { value: '20' } })
    fireEvent.click(within(form).getByRole('button', { name: 'Save clinic details' }))
    const refusal = await within(form).findByRole('alert')
    expect(refusal.textContent).toContain('minor units')
    expect(field('Currency (ISO 4217 code)').getAttribute('aria-invalid')).toBe('true')

    fireEvent.change(field('Currency (ISO 4217 code)'), { target: { value: 'gbp' } })
    fireEvent.click(within(form).getByRole('button', { name: 'Save clinic details' }))
    expect((await within(form).findByTestId('clinic-saved')).textContent).toBe(
      'Saved: address, vat_number, currency, default_vat_bp',
    )
    expect(saved).toEqual([
      {
        ...stored,
        address: '12 Mill Lane\nYork',
        vat_number: 'GB123456789',
        currency: 'GBP',
        default_vat_bp: 2000,
      },
    ])
  })

  it('refuses a VAT rate that is not a number before asking core', async () => {
    let asked = false
    mockIPC((cmd) => {
      if (cmd === 'clinic_settings') return stored
      if (cmd === 'save_clinic_settings') asked = true
    })
    render(<Settings status={status} />, { wrapper: IpcProvider })
    const form = await screen.findByTestId('clinic-details')
    fireEvent.change(within(form).getByLabelText('Default VAT rate (%)'), { target: { value: 'twenty' } })
    fireEvent.click(within(form).getByRole('button', { name: 'Save clinic details' }))
    expect((await within(form).findByRole('alert')).textContent).toContain('like 20 or 12.5')
    expect(asked).toBe(false)
  })
})
