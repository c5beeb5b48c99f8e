// The sync indicator's wording for each state the engine reports (IPC mocked).
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { SyncIndicator } from './SyncIndicator'
import { IpcProvider } from '../ipc/IpcProvider'
import { describeSync } from './syncText'
import type { SyncStatusView } from '../ipc/bindings'

const base: SyncStatusView = {
  set_up: true,
  online: true,
  syncing: false,
  pending: 0,
  last_success: '2026-11-22T09:15:02Z',
  last_error: null,
  clock_skew_warning: false,
  awaiting_approval: false,
  set_aside: 0,
  own_clock_ahead: false,
}

afterEach(() => {
  cleanup()
  clearMocks()
})

describe('describeSync', () => {
  it('says plainly when there is no server, when offline and what is waiting', () => {
    expect(describeSync({ ...base, set_up: false })).toBe('Offline mode: no sync server configured')
    expect(describeSync({ ...base, online: false, pending: 3 })).toBe(
      'Sync: offline, changes kept on this device · 3 changes waiting · last synced 2026-11-22 09:15',
    )
    expect(describeSync({ ...base, pending: 1 })).toContain('1 change waiting')
    expect(describeSync({ ...base, online: null, last_success: null })).toBe(
      'Sync: connecting… · 0 changes waiting · never synced',
    )
    expect(describeSync(null)).toBe('Sync: status unavailable')
  })
})

describe('SyncIndicator', () => {
  it('shows the engine status from sync_status and warns about clock skew', async () => {
    mockIPC((cmd) => {
      if (cmd === 'sync_status') return { ...base, online: false, pending: 2, clock_skew_warning: true, last_error: 'server unreachable' }
      throw { code: 'internal', message: `unexpected ${cmd}` }
    })
    render(<SyncIndicator />, { wrapper: IpcProvider })
    expect((await screen.findByRole('alert')).textContent).toContain('Clock warning')
    const text = screen.getByTestId('sync-status')
    expect(text.textContent).toContain('offline, changes kept on this device · 2 changes waiting')
    expect(text.getAttribute('title')).toBe('server unreachable')
  })

  it("says when this computer's own clock ran ahead and when changes were set aside", async () => {
    mockIPC((cmd) => {
      if (cmd === 'sync_status')
        return { ...base, clock_skew_warning: true, own_clock_ahead: true, set_aside: 3, last_error: 'refused' }
      throw { code: 'internal', message: `unexpected ${cmd}` }
    })
    render(<SyncIndicator />, { wrapper: IpcProvider })
    expect((await screen.findByRole('alert')).textContent).toContain("this computer's clock ran ahead")
    expect(screen.getByTestId('sync-set-aside').textContent).toContain('3 changes from other devices were set aside')
  })
})
