// The owner's view with IPC mocked: today's numbers and the month, the audit log's
// filters reaching Rust, the chain check shown, a refusal shown readably.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { OwnerView } from './OwnerView'
import { IpcProvider } from '../ipc/IpcProvider'
import type { DayStats } from '../ipc/bindings'
import { lastDays } from '../schedule/dayBoard'

afterEach(() => {
  cleanup()
  clearMocks()
})

const day = (booked: number, seen: number, no_shows: number, signed_visits: number): DayStats => ({
  from_ms: 0,
  booked,
  seen,
  no_shows,
  cancelled: 0,
  signed_visits,
  revenue_cents: booked * 4500,
})

describe('OwnerView', () => {
  it("shows today's numbers and the last 30 days", async () => {
    let asked = 0
    mockIPC((cmd, args) => {
      if (cmd === 'dashboard') {
        asked = (args as { request: { days: unknown[] } }).request.days.length
        return [...Array.from({ length: 29 }, () => day(10, 8, 1, 7)), day(4, 3, 1, 2)]
      }
      if (cmd === 'stock_alerts') {
        return [{ kind: 'reconcile', item_id: 'i1', item: 'Vaccine vial', on_hand_milli: -1000 }]
      }
    })
    render(<OwnerView deviceId="d1" />, { wrapper: IpcProvider })
    const booked = await screen.findByText('Appointments')
    const card = booked.closest('[data-stat]') as HTMLElement
    expect(card.textContent).toContain('4')
    expect(card.textContent).toContain('294 in the last 30 days')
    expect(asked).toBe(30)
    // Revenue (net) today and over the month; the stock alert in words.
    const revenue = screen.getByText('Revenue').closest('[data-stat]') as HTMLElement
    expect(revenue.textContent).toContain('180.00')
    expect(revenue.textContent).toContain('13230.00 in the last 30 days')
    const stock = (await screen.findByText(/Vaccine vial: -1 on hand/)).closest('[data-stat]') as HTMLElement
    expect(stock.querySelector('.card-today')?.textContent).toBe('1')
  })

  it('filters the audit log in Rust and shows the chain check', async () => {
    const filters: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'staff_all') return [{ id: 's1', name: 'Fred Desk', roles: ['front_desk'], active: true }]
      if (cmd === 'audit_search') {
        filters.push((args as { request: unknown }).request)
        return {
          events: [
            {
              id: 'e1',
              device_id: 'd1',
              chain_index: 3,
              actor_id: 's1',
              action: 'client.create',
              entity: 'client',
              entity_id: 'c1c1c1c1-0000',
              at: '2026-11-22T09:00:00Z',
              detail: '',
            },
          ],
          verification: { devices: 1, events: 42, signer_unchecked: 0, problems: [] },
        }
      }
    })
    render(<OwnerView deviceId="d1" />, { wrapper: IpcProvider })
    fireEvent.click(screen.getByRole('tab', { name: 'Audit log' }))
    expect((await screen.findByTestId('chain')).textContent).toContain('42 events')
    fireEvent.change(await screen.findByLabelText('Who'), { target: { value: 's1' } })
    fireEvent.change(screen.getByLabelText('Action starts with'), { target: { value: 'client.' } })
    expect((await screen.findByText('Fred Desk', { selector: 'td' })).textContent).toBe('Fred Desk')
    expect(filters.at(-1)).toMatchObject({ actor_id: 's1', action_prefix: 'client.', limit: 200 })
  })

  it("changes a member's roles through core", async () => {
    const sent: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'dashboard') return []
      if (cmd === 'staff_all') return [{ id: 's1', name: 'Nina Nurse', roles: ['nurse'], active: true }]
      if (cmd === 'set_staff_roles') {
        sent.push((args as { request: unknown }).request)
        return null
      }
    })
    render(<OwnerView deviceId="d1" />, { wrapper: IpcProvider })
    fireEvent.click(screen.getByRole('tab', { name: 'Staff and roles' }))
    fireEvent.click(await screen.findByRole('button', { name: 'change' }))
    fireEvent.click(screen.getAllByLabelText('Vet')[0]!)
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await screen.findByRole('button', { name: 'change' })
    expect(sent).toEqual([{ id: 's1', roles: ['nurse', 'vet'] }])
  })

  it('lists devices, approves a pending one once its key is compared, and says when the server is out of reach', async () => {
    let offline = false
    const approved: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'dashboard') return []
      if (cmd === 'sync_status') return null
      if (cmd === 'devices_list') {
        if (offline) throw { code: 'offline', message: 'the sync server cannot be reached (refused)' }
        return [
          { device_id: 'd1', status: 'approved', created_at_ms: 0, this_device: true, name: 'Desk 1', fingerprint: 'aaaa-bbbb-cccc-dddd', proof: null, manages: true },
          { device_id: 'd2', status: 'pending', created_at_ms: 0, this_device: false, name: 'Front desk 2', fingerprint: '3f2a-91c4-0b7e-55d1', proof: 'verified', manages: false },
          { device_id: 'd3', status: 'pending', created_at_ms: 0, this_device: false, name: null, fingerprint: null, proof: 'tampered', manages: false },
        ]
      }
      if (cmd === 'device_approve') {
        approved.push((args as { request: unknown }).request)
        offline = true
        return null
      }
    })
    render(<OwnerView deviceId="d1" />, { wrapper: IpcProvider })
    fireEvent.click(screen.getByRole('tab', { name: 'Devices and sync' }))
    const list = await screen.findByTestId('device-list')
    expect(list.textContent).toContain('(this device)')
    expect(list.textContent).toContain('waiting for approval')
    expect(list.textContent).toContain('Front desk 2')
    expect(list.querySelector('[data-device=d1] [data-manages]')?.textContent).toContain('manages devices')
    // A device whose introduction does not hold has no approve button, only a warning.
    expect(list.querySelector('[data-device=d3] [data-proof=tampered]')?.textContent).toContain('do not approve it')
    expect(screen.getAllByRole('button', { name: 'Approve' })).toHaveLength(1)
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }))
    const compare = await screen.findByTestId('compare-fingerprint')
    expect(compare.textContent).toContain('"Front desk 2" show the key 3f2a-91c4-0b7e-55d1')
    expect(approved).toEqual([])
    fireEvent.click(screen.getByLabelText(/may manage devices too/))
    fireEvent.click(screen.getByRole('button', { name: 'It shows this key: approve' }))
    await waitFor(() => expect(screen.queryByText(/The sync server cannot be reached/)).toBeTruthy())
    expect(approved).toEqual([{ id: 'd2', fingerprint: '3f2a-91c4-0b7e-55d1', manages: true }])
  })

  it('asks a new admin to set up an authenticator, then approves; later asks for a code, and a wrong one is refused', async () => {
    let enrolled = false
    let confirmed = false
    const approvals: unknown[] = []
    const codes: unknown[] = []
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, string> }).request
      if (cmd === 'sync_status') return null
      if (cmd === 'devices_list')
        return [
          { device_id: 'd1', status: 'approved', created_at_ms: 0, this_device: true, name: 'Desk 1', fingerprint: 'aaaa-bbbb-cccc-dddd', proof: null, manages: true },
          { device_id: 'd2', status: approvals.length > 0 ? 'approved' : 'pending', created_at_ms: 0, this_device: false, name: 'Exam 2', fingerprint: '3f2a-91c4-0b7e-55d1', proof: 'verified', manages: false },
        ]
      if (cmd === 'device_approve' || cmd === 'device_revoke') {
        if (!enrolled) throw { code: 'second_factor_not_enrolled', message: 'Olivia needs a second factor for admin acts' }
        if (!confirmed) throw { code: 'second_factor_required', message: "admin acts need a code from Olivia's authenticator app" }
        approvals.push([cmd, request])
        confirmed = cmd === 'device_approve' ? false : confirmed
        return null
      }
      if (cmd === 'second_factor_begin')
        return { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', uri: 'otpauth://totp/x', qr_svg: '<svg xmlns="http://www.w3.org/2000/svg"/>', qr_text: '' }
      if (cmd === 'second_factor_finish') {
        codes.push(request)
        enrolled = true
        confirmed = true
        return ['aaaa-bbbb-cccc', 'dddd-eeee-ffff']
      }
      if (cmd === 'second_factor_confirm') {
        codes.push(request)
        if (request?.code !== '654321') throw { code: 'wrong_second_factor', message: 'wrong or already used authenticator code' }
        confirmed = true
        return { enrolled: true, recovery_codes_left: 10, confirmed_until: '2026-12-05T10:05:00Z' }
      }
    })
    render(<OwnerView deviceId="d1" />, { wrapper: IpcProvider })
    fireEvent.click(screen.getByRole('tab', { name: 'Devices and sync' }))
    fireEvent.click(await screen.findByRole('button', { name: 'Approve' }))
    fireEvent.click(screen.getByRole('button', { name: 'It shows this key: approve' }))
    // Not set up yet: the QR code and the secret, then the app's first code.
    // The dialog opens at once; the secret and its QR code once core has made them.
    const secret = await screen.findByTestId('totp-secret')
    expect(secret.textContent).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')
    const enroll = screen.getByTestId('second-factor-enroll')
    expect(enroll.querySelector('img')?.getAttribute('src')).toMatch(/^data:image\/svg\+xml/)
    fireEvent.change(screen.getByLabelText('The code the app shows now'), { target: { value: '123456' } })
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }))
    // The recovery codes, once; the approval goes through when they are written down.
    const recovery = await screen.findByTestId('recovery-codes')
    expect(recovery.textContent).toContain('aaaa-bbbb-cccc')
    expect(approvals).toEqual([])
    fireEvent.click(screen.getByRole('button', { name: 'I have written them down' }))
    await waitFor(() => expect(approvals).toHaveLength(1))
    expect(approvals[0]).toEqual(['device_approve', { id: 'd2', fingerprint: '3f2a-91c4-0b7e-55d1', manages: false }])
    expect(codes[0]).toEqual({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', code: '123456' })

    // Later: revoking asks for a code; a wrong one is refused and nothing is revoked.
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke' }))
    const ask = await screen.findByTestId('second-factor')
    fireEvent.change(screen.getByLabelText('Code from the app, or a recovery code'), { target: { value: '000000' } })
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }))
    await waitFor(() => expect(ask.querySelector('[data-error-code=wrong_second_factor]')).toBeTruthy())
    expect(approvals).toHaveLength(1)
    fireEvent.change(screen.getByLabelText('Code from the app, or a recovery code'), { target: { value: '654321' } })
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }))
    await waitFor(() => expect(approvals).toHaveLength(2))
    expect(approvals[1]).toEqual(['device_revoke', { id: 'd2' }])
    expect(screen.queryByTestId('second-factor')).toBeNull()
  })

  it('shows a refusal from core readably', async () => {
    mockIPC(() => {
      throw { code: 'forbidden', message: 'not allowed: manage the clinic needs a role that grants it (signed in as vet)' }
    })
    render(<OwnerView deviceId="d1" />, { wrapper: IpcProvider })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Your role does not allow this')
  })

  it('counts local days oldest first, ending today', () => {
    const days = lastDays(3, new Date(2026, 10, 22, 15))
    expect(days.map((d) => d.label)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22'])
    expect(new Date(days[2]!.to).getTime() - new Date(days[2]!.from).getTime()).toBe(24 * 3600_000)
  })
})
