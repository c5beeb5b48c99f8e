// The status bar's one-line wording of the sync engine's state (pure, for the
// indicator and its tests).
import type { SyncStatusView } from './bindings'

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
