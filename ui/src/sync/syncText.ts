// The status bar's one-line wording of the sync engine's state (pure, for the
// indicator and its tests), in the UI's language.
import type { SyncStatusView } from '../ipc/bindings'
import { translator, type Translate } from '../shared/i18n'

export function describeSync(sync: SyncStatusView | null | undefined, t: Translate = translator('en')): string {
  if (sync == null) return t('sync.unavailable')
  if (!sync.set_up) return t('sync.not_set_up')
  if (sync.awaiting_approval) return t('sync.awaiting_approval')
  const pending = sync.pending === 1 ? t('sync.pending_one') : t('sync.pending_many', { count: sync.pending })
  const state = sync.syncing
    ? t('sync.syncing')
    : sync.online === false
      ? t('sync.offline')
      : sync.online === true
        ? t('sync.online')
        : t('sync.connecting')
  const last = sync.last_success
    ? t('sync.last', { time: sync.last_success.replace('T', ' ').slice(0, 16) })
    : t('sync.never')
  return t('sync.line', { state, pending, last })
}
