// The status bar's sync indicator: online or offline, pending changes, last successful
// sync, a clock-skew warning (naming this computer when its own clock ran ahead) and
// how many other devices' changes were set aside, polled from the Rust sync engine
// every few seconds.
import { useIpcQuery } from '../ipc/query'
import { describeSync } from './syncText'
import { useT } from '../shared/i18n'

const POLL_MS = 5000

export function SyncIndicator() {
  const t = useT()
  const status = useIpcQuery('syncStatus', undefined, { refetchInterval: POLL_MS })
  const sync = status.isError ? null : (status.data ?? null)
  return (
    <>
      <span data-testid="sync-status" title={sync?.last_error ?? undefined}>
        {describeSync(sync, t)}
      </span>
      {sync?.clock_skew_warning ? (
        <span role="alert" className="warning">
          {sync.own_clock_ahead ? t('sync.own_clock_ahead') : t('sync.clock_warning')}
        </span>
      ) : null}
      {sync != null && sync.set_aside > 0 ? (
        <span role="status" className="warning" data-testid="sync-set-aside">
          {sync.set_aside === 1
            ? t('sync.set_aside_one')
            : t('sync.set_aside_many', { count: sync.set_aside })}
        </span>
      ) : null}
    </>
  )
}
