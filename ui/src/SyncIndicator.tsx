// The status bar's sync indicator: online or offline, pending changes, last successful
// sync and a clock-skew warning, polled from the Rust sync engine every few seconds.
import { useEffect, useState } from 'react'
import { api } from './api'
import type { SyncStatusView } from './bindings'

const POLL_MS = 5000

export function describeSync(sync: SyncStatusView | null | undefined): string {
  if (sync == null) return 'Sync: status unavailable'
  if (!sync.set_up) return 'Offline mode: no sync server configured'
  const pending = sync.pending === 1 ? '1 change waiting' : `${sync.pending} changes waiting`
  const state = sync.syncing
    ? 'syncing…'
    : sync.online === false
      ? 'offline, changes kept on this device'
      : sync.online === true
        ? 'online'
        : 'connecting…'
  const last = sync.last_success ? `last synced ${sync.last_success.replace('T', ' ').slice(0, 16)}` : 'never synced'
  return `Sync: ${state} · ${pending} · ${last}`
}

export function SyncIndicator() {
  const [sync, setSync] = useState<SyncStatusView | null>(null)
  useEffect(() => {
    let live = true
    const poll = () =>
      api.syncStatus().then(
        (s) => live && setSync(s ?? null),
        () => live && setSync(null),
      )
    void poll()
    const timer = window.setInterval(poll, POLL_MS)
    return () => {
      live = false
      window.clearInterval(timer)
    }
  }, [])
  return (
    <>
      <span data-testid="sync-status" title={sync?.last_error ?? undefined}>
        {describeSync(sync)}
      </span>
      {sync?.clock_skew_warning ? (
        <span role="alert" className="warning">
          Clock warning: a device's clock is off by more than an hour; check the date and time settings
        </span>
      ) : null}
    </>
  )
}
