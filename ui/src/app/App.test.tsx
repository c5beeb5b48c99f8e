// Unit tests of the shell's states with the Tauri IPC mocked (the real window is
// covered by the WebDriver end-to-end test in tests/e2e).
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { App } from './App'
import type { AppStatus, ClientDetail, Hit, IpcError, SessionView } from '../ipc/bindings'

const status: AppStatus = {
  clinic_name: 'Riverside Vets',
  clinic_id: '0190a000-0000-7000-8000-000000000001',
  device_id: '0190a000-0000-7000-8000-000000000002',
  device_name: 'Front desk 2',
  device_fingerprint: '3f2a-91c4-0b7e-55d1',
  schema_version: 1,
  key_protection: 'passphrase',
  cipher_version: '4.6.1 community',
  data_dir: '/tmp/vetdesk',
  app_version: '0.1.0',
}

const vera: SessionView = {
  staff_id: '0190a000-0000-7000-8000-0000000000a1',
  name: 'Dr Vera Vet',
  roles: ['vet'],
  idle_lock_seconds: 300,
}

const syncIdle = {
  set_up: false,
  online: null,
  syncing: false,
  pending: 0,
  last_success: null,
  last_error: null,
  clock_skew_warning: false,
  awaiting_approval: false,
  set_aside: 0,
  own_clock_ahead: false,
}

/** IPC for a clinic that is open with Dr Vera Vet signed in; `more` answers the rest. */
function openClinic(more: (cmd: string, args: unknown) => unknown = () => undefined) {
  mockIPC((cmd, args) => {
    if (cmd === 'app_status') return status
    if (cmd === 'current_session') return vera
    if (cmd === 'sync_status') return null
    return more(cmd, args)
  })
}

afterEach(() => {
  cleanup()
  clearMocks()
  window.localStorage.clear()
})

describe('App', () => {
  it('shows the clinic from app_status and switches views', async () => {
    openClinic((cmd) => {
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
      if (cmd === 'current_session') return vera
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
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('wrong passphrase for this store')
    expect(alert.getAttribute('data-error-code')).toBe('wrong_passphrase')
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
      if (cmd === 'current_session') return vera
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

  it('joins a new device to its clinic with a code, then waits for approval and its staff', async () => {
    const enrolls: unknown[] = []
    let enrolled = false
    let staffAsks = 0
    mockIPC((cmd, args) => {
      if (cmd === 'app_status') throw { code: 'not_initialized', message: 'no store in /tmp/x' } satisfies IpcError
      if (cmd === 'current_session') return null
      if (cmd === 'enroll_device') {
        enrolls.push(args)
        const { request } = args as { request: { code: string } }
        if (request.code === '') {
          throw {
            code: 'invalid',
            message: 'code: type the one-time code shown on the trusted device',
            field: 'code',
          } satisfies IpcError
        }
        enrolled = true
        return status
      }
      if (cmd === 'staff_list') {
        staffAsks += 1
        return staffAsks < 2 ? [] : [{ id: vera.staff_id, name: 'Dr Vera Vet', roles: ['vet'] }]
      }
      if (cmd === 'sync_status') {
        return { ...syncIdle, set_up: enrolled, awaiting_approval: staffAsks < 2 }
      }
    })
    render(<App />)
    expect(await screen.findByRole('heading', { name: 'Join your clinic' })).toBeTruthy()
    // Plain http to the clinic's own network is offered only as a choice someone makes.
    fireEvent.change(screen.getByLabelText('Sync server'), { target: { value: 'http://192.168.1.20:8787' } })
    expect(screen.getByLabelText(/send to it unencrypted/)).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Sync server'), { target: { value: 'https://sync.riverside.vet' } })
    expect(screen.queryByLabelText(/send to it unencrypted/)).toBeNull()
    fireEvent.change(screen.getByLabelText('Name of this device'), { target: { value: 'Front desk 2' } })
    fireEvent.click(screen.getByRole('button', { name: 'Join the clinic' }))
    const codeInput = await screen.findByLabelText('One-time code')
    await screen.findByText(/type the one-time code/)
    expect(codeInput.getAttribute('aria-invalid')).toBe('true')
    fireEvent.change(codeInput, { target: { value: 'K7Q2M-9XWDA-HH3JP-04RTZ' } })
    fireEvent.click(screen.getByRole('button', { name: 'Join the clinic' }))
    const waiting = await screen.findByTestId('awaiting-approval')
    expect(waiting.textContent).toContain(status.device_id)
    // The key the admin's screen must show too, and the name it will show it under.
    expect(waiting.textContent).toContain('3f2a-91c4-0b7e-55d1')
    expect(waiting.textContent).toContain('Front desk 2')
    // Approved elsewhere: the next ask brings the clinic's staff.
    expect(await screen.findByLabelText(/Dr Vera Vet/, {}, { timeout: 5000 })).toBeTruthy()
    expect(screen.queryByTestId('awaiting-approval')).toBeNull()
    expect(enrolls[1]).toEqual({
      request: {
        server: 'https://sync.riverside.vet',
        code: 'K7Q2M-9XWDA-HH3JP-04RTZ',
        device_name: 'Front desk 2',
        passphrase: null,
        allow_lan_http: false,
        ca_cert: null,
      },
    })
  })

  it('signs staff in with a PIN and shows a wrong one', async () => {
    const tried: string[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'app_status') return status
      if (cmd === 'current_session') return null
      if (cmd === 'sync_status') return null
      if (cmd === 'staff_list')
        return [
          { id: vera.staff_id, name: 'Dr Vera Vet', roles: ['vet'] },
          { id: '0190a000-0000-7000-8000-0000000000a2', name: 'Fred Desk', roles: ['front_desk'] },
        ]
      if (cmd === 'sign_in') {
        const { request } = args as { request: { staff_id: string; pin: string } }
        tried.push(`${request.staff_id}:${request.pin}`)
        if (request.pin !== '2468') throw { code: 'wrong_pin', message: 'wrong PIN or password for this staff member' }
        return vera
      }
    })
    render(<App />)
    fireEvent.click(await screen.findByLabelText(/Dr Vera Vet/))
    fireEvent.change(screen.getByLabelText('PIN'), { target: { value: '1111' } })
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    const alert = await screen.findByRole('alert')
    expect(alert.getAttribute('data-error-code')).toBe('wrong_pin')
    expect(alert.textContent).toContain('Wrong PIN')
    expect((screen.getByLabelText('PIN') as HTMLInputElement).value).toBe('')
    fireEvent.change(screen.getByLabelText('PIN'), { target: { value: '2468' } })
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    expect((await screen.findByTestId('signed-in')).textContent).toBe('Signed in: Dr Vera Vet')
    expect(tried).toEqual([`${vera.staff_id}:1111`, `${vera.staff_id}:2468`])
  })

  it('locks a shared workstation after its idle time', async () => {
    mockIPC((cmd) => {
      if (cmd === 'app_status') return status
      if (cmd === 'current_session') return { ...vera, idle_lock_seconds: 1 }
      if (cmd === 'staff_list') return []
      return null
    })
    render(<App />)
    await screen.findByTestId('signed-in')
    const notice = await screen.findByTestId('lock-notice', {}, { timeout: 3000 })
    expect(notice.textContent).toContain('without activity')
    expect(screen.queryByTestId('signed-in')).toBeNull()
  })

  it('finds a client with Ctrl+K as you type and opens the card from the keyboard', async () => {
    const queries: string[] = []
    const ann: Hit = { kind: 'client', id: 'c1', title: 'Ann Ng', detail: '+44 20 7946 0958', score: 10 }
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
      patients: [],
    }
    openClinic((cmd, args) => {
      if (cmd === 'search') {
        const { request } = args as { request: { query: string } }
        queries.push(request.query)
        return request.query.toLowerCase().startsWith('an') ? [ann] : []
      }
      if (cmd === 'client_detail') return detail
    })
    render(<App />)
    await screen.findByTestId('signed-in')
    fireEvent.keyDown(window, { key: 'k', ctrlKey: true })
    const input = await screen.findByTestId('search-input')
    const palette = screen.getByRole('dialog')
    fireEvent.change(input, { target: { value: 'zz' } })
    expect((await within(palette).findByRole('status')).textContent).toContain('Nothing matches')
    fireEvent.change(input, { target: { value: 'an' } })
    expect((await within(palette).findByRole('option')).textContent).toContain('Ann Ng')
    fireEvent.keyDown(input, { key: 'Enter' })
    expect((await screen.findByTestId('client-card')).textContent).toContain('Ann Ng')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(queries).toEqual(['zz', 'an'])
  })

  it("shows core's validation message beside the field it names", async () => {
    const saved: unknown[] = []
    openClinic((cmd, args) => {
      if (cmd === 'save_client') {
        saved.push(args)
        throw { code: 'invalid', message: 'email: "ann@" is not an email address', field: 'email' } satisfies IpcError
      }
    })
    render(<App />)
    await screen.findByTestId('signed-in')
    fireEvent.keyDown(window, { key: '2', altKey: true })
    // The view appears after its first answer from Rust: wait for it, not for luck.
    fireEvent.click(await screen.findByRole('button', { name: 'New client' }))
    fireEvent.change(screen.getByLabelText('First name'), { target: { value: 'Ann' } })
    fireEvent.change(screen.getByLabelText('Last name'), { target: { value: 'Ng' } })
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ann@' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    const message = await screen.findByRole('alert')
    expect(message.id).toBe('field-email-error')
    expect(message.textContent).toContain('is not an email address')
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true')
    expect(screen.getByLabelText('First name').getAttribute('aria-invalid')).toBeNull()
    expect(saved).toEqual([
      {
        request: {
          id: undefined,
          client: {
            first_name: 'Ann',
            last_name: 'Ng',
            phone: null,
            email: 'ann@',
            address: null,
            consent_email: false,
            consent_sms: false,
            consent_recording: false,
            notes: null,
          },
        },
      },
    ])
  })

  it('switches language at run time and keeps the choice', async () => {
    openClinic()
    render(<App />)
    await screen.findByTestId('signed-in')
    fireEvent.keyDown(window, { key: '9', altKey: true })
    fireEvent.change(await screen.findByLabelText('Language'), { target: { value: 'uk' } })
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Налаштування')
    expect(screen.getByRole('button', { name: 'Сьогодні' })).toBeTruthy()
    expect(document.documentElement.lang).toBe('uk')
    expect(window.localStorage.getItem('vetdesk.language')).toBe('uk')
    fireEvent.change(screen.getByLabelText('Тема'), { target: { value: 'dark' } })
    expect(document.documentElement.dataset.theme).toBe('dark')
  })

  it('goes back to the sign-in when Rust says the session ended', async () => {
    openClinic((cmd) => {
      if (cmd === 'search') throw { code: 'signed_out', message: 'locked after inactivity: sign in again' }
      if (cmd === 'staff_list') return []
    })
    render(<App />)
    await screen.findByTestId('signed-in')
    fireEvent.click(screen.getByRole('button', { name: 'Clients & Patients' }))
    // The view appears after its first answer from Rust: wait for it, not for luck.
    fireEvent.click(await screen.findByRole('button', { name: 'New client' }))
    // A save refused as signed out leaves the form for the sign-in screen.
    clearMocks()
    mockIPC((cmd) => {
      if (cmd === 'save_client') throw { code: 'signed_out', message: 'locked after inactivity: sign in again' }
      if (cmd === 'staff_list') return []
      return null
    })
    fireEvent.change(screen.getByLabelText('First name'), { target: { value: 'Ann' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect((await screen.findByTestId('lock-notice')).textContent).toContain('sign in again')
  })
})
