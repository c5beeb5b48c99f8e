// The status bar's sync indicator: online or offline, pending changes, last successful
// sync and a clock-skew warning, polled from the Rust sync engine every few seconds.
import { useEffect, useState } from 'react'
import { api } from './api'
import type { SyncStatusView } from './bindings'
import { describeSync } from './syncText'
import { useT } from './i18n'

const POLL_MS = 5000

export function SyncIndicator() {
  const t = useT()
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
        {describeSync(sync, t)}
      </span>
      {sync?.clock_skew_warning ? (
        <span role="alert" className="warning">
          {t('sync.clock_warning')}
        </span>
      ) : null}
    </>
  )
}
