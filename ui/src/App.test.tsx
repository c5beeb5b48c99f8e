// Unit tests of the shell's states with the Tauri IPC mocked (the real window is
// covered by the WebDriver end-to-end test in tests/e2e).
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { App } from './App'
import type { AppStatus, IpcError } from './bindings'

const status: AppStatus = {
  clinic_name: 'Riverside Vets',
  clinic_id: '0190a000-0000-7000-8000-000000000001',
  device_id: '0190a000-0000-7000-8000-000000000002',
  schema_version: 1,
  key_protection: 'passphrase',
  cipher_version: '4.6.1 community',
  data_dir: '/tmp/vetdesk',
  app_version: '0.1.0',
}

afterEach(() => {
  cleanup()
  clearMocks()
})

describe('App', () => {
  it('shows the clinic from app_status and switches views', async () => {
    mockIPC((cmd) => {
      if (cmd === 'app_status') return status
      throw { code: 'internal', message: `unexpected ${cmd}` }
    })
    render(<App />)
    expect(await screen.findByTestId('clinic-name')).toHaveProperty('textContent', 'Riverside Vets')
    expect(screen.getByTestId('store-status').textContent).toContain('SQLCipher 4.6.1')
    fireEvent.click(screen.getByRole('button', { name: 'Settings' }))
    expect(screen.getByTestId('store-details').textContent).toContain('/tmp/vetdesk')
    fireEvent.keyDown(window, { key: '3', altKey: true })
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Exam')
  })

  it('asks for the passphrase, shows a wrong one as an error, then unlocks', async () => {
    const calls: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'app_status') throw { code: 'passphrase_required', message: 'locked' } satisfies IpcError
      if (cmd === 'unlock_store') {
        calls.push(args)
        const { request } = args as { request: { passphrase: string } }
        if (request.passphrase !== 'right horse battery') {
          throw { code: 'wrong_passphrase', message: 'wrong passphrase for this store' } satisfies IpcError
        }
        return status
      }
    })
    render(<App />)
    const input = await screen.findByLabelText('Passphrase')
    fireEvent.change(input, { target: { value: 'wrong' } })
    fireEvent.click(screen.getByRole('button', { name: 'Unlock' }))
    expect((await screen.findByRole('alert')).textContent).toBe('wrong passphrase for this store')
    fireEvent.change(screen.getByLabelText('Passphrase'), { target: { value: 'right horse battery' } })
    fireEvent.click(screen.getByRole('button', { name: 'Unlock' }))
    expect((await screen.findByTestId('clinic-name')).textContent).toBe('Riverside Vets')
    expect(calls).toEqual([
      { request: { passphrase: 'wrong' } },
      { request: { passphrase: 'right horse battery' } },
    ])
  })

  it('shows a readable error instead of a blank screen', async () => {
    mockIPC(() => {
      throw { code: 'database_too_new', message: 'update Vetdesk' } satisfies IpcError
    })
    render(<App />)
    const screenEl = await screen.findByTestId('error-screen')
    expect(screenEl.textContent).toContain('update Vetdesk')
    expect(screenEl.querySelector('[data-error-code]')?.getAttribute('data-error-code')).toBe('database_too_new')
  })

  it('asks Rust again on "Try again" and recovers', async () => {
    let calls = 0
    mockIPC((cmd) => {
      if (cmd !== 'app_status') return
      calls += 1
      if (calls === 1) throw { code: 'keyring_unavailable', message: 'keyring locked' } satisfies IpcError
      return status
    })
    render(<App />)
    expect((await screen.findByTestId('error-screen')).textContent).toContain('keyring locked')
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect((await screen.findByTestId('clinic-name')).textContent).toBe('Riverside Vets')
    expect(calls).toBe(2)
  })

  it('wraps a non-IPC failure as an internal error with its message', async () => {
    mockIPC(() => {
      throw new Error('bridge gone')
    })
    render(<App />)
    expect((await screen.findByTestId('error-screen')).textContent).toContain('bridge gone')
  })
})
