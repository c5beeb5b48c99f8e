// The Vetdesk app's outer states: loads the store's status from Rust; shows the unlock
// form when the store needs a passphrase, the first-run enrollment on a device with no
// store, and a readable error (never a blank screen) when the store cannot be opened;
// then the staff sign-in, and once someone is signed in the shell (Shell.tsx) inside the
// session context (session.ts).
import { useCallback, useState, type FormEvent } from 'react'
import { api } from '../ipc/api'
import type { AppStatus, IpcError, SessionView } from '../ipc/bindings'
import { IpcProvider } from '../ipc/IpcProvider'
import { useIpcMutation, useIpcQuery, useOnSignedOut } from '../ipc/query'
import { EnrollScreen } from '../session/Enroll'
import { SignInScreen } from '../session/SignIn'
import { ErrorText } from '../shared/forms'
import { useT, type Language } from '../shared/i18n'
import { LanguageProvider } from '../shared/LanguageProvider'
import { SessionContext } from './session'
import { Shell } from './Shell'

export function App({ language }: { language?: Language } = {}) {
  return (
    <LanguageProvider initial={language}>
      <IpcProvider>
        <Root />
      </IpcProvider>
    </LanguageProvider>
  )
}

function Root() {
  const t = useT()
  // What the store is changes only when it is opened, joined or signed into, never by a
  // record write, so it is read at start, on "Try again" and at each sign-in.
  const read = useIpcQuery('appStatus', undefined, { readAfterWrites: false })
  // The status the unlock or the enrollment answered with.
  const [opened, setOpened] = useState<AppStatus | null>(null)
  const unlock = useIpcMutation('unlockStore')

  const status = read.data ?? opened
  if (status) return <SessionGate status={status} reread={() => void read.refetch()} />
  if (!read.error) {
    return (
      <p className="centered" role="status">
        {t('app.loading')}
      </p>
    )
  }
  switch (read.error.code) {
    case 'not_initialized':
      return <EnrollScreen onEnrolled={setOpened} />
    case 'passphrase_required':
      return (
        <UnlockScreen
          error={unlock.error ?? undefined}
          busy={unlock.isPending}
          onUnlock={(passphrase) => unlock.mutate({ passphrase }, { onSuccess: setOpened })}
        />
      )
    default:
      return <ErrorScreen error={read.error} onRetry={() => void read.refetch()} />
  }
}

function ErrorScreen({ error, onRetry }: { error: IpcError; onRetry: () => void }) {
  const t = useT()
  return (
    <main className="centered" data-testid="error-screen">
      <h1>{t('error.title')}</h1>
      <ErrorText error={error} />
      <button onClick={onRetry}>{t('error.retry')}</button>
    </main>
  )
}

function UnlockScreen({
  error,
  busy,
  onUnlock,
}: {
  error?: IpcError
  busy: boolean
  onUnlock: (passphrase: string) => void
}) {
  const t = useT()
  const [passphrase, setPassphrase] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    onUnlock(passphrase)
  }
  return (
    <main className="centered">
      <form className="unlock" onSubmit={submit} aria-label={t('unlock.form_label')}>
        <h1>{t('unlock.title')}</h1>
        <p>{t('unlock.explain')}</p>
        <label htmlFor="passphrase">{t('unlock.passphrase')}</label>
        <input
          id="passphrase"
          type="password"
          autoFocus
          autoComplete="current-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        {error && <ErrorText error={error} />}
        <button type="submit" disabled={busy || passphrase.length === 0}>
          {busy ? t('unlock.busy') : t('unlock.submit')}
        </button>
      </form>
    </main>
  )
}

/** Signs staff in on a shared workstation; signs out on request, on the idle lock and
 * whenever a command answers `signed_out`. */
function SessionGate({ status, reread }: { status: AppStatus; reread: () => void }) {
  const t = useT()
  // A session still open in Rust (the window was reloaded) is taken up again.
  const restored = useIpcQuery('currentSession', undefined, { readAfterWrites: false })
  const [session, setSession] = useState<SessionView | null | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)

  // Not a mutation: a sign-out refused as `signed_out` must not ask for another.
  const signOut = useCallback((why?: string) => {
    void api.signOut().catch(() => {})
    setNotice(why)
    setSession(null)
  }, [])
  useOnSignedOut(useCallback((error: IpcError) => signOut(error.message), [signOut]))

  const current = session !== undefined ? session : restored.isPending ? undefined : (restored.data ?? null)
  if (current === undefined) {
    return (
      <p className="centered" role="status">
        {t('app.loading')}
      </p>
    )
  }
  if (current === null) {
    return (
      <SignInScreen
        deviceId={status.device_id}
        deviceName={status.device_name ?? ''}
        deviceFingerprint={status.device_fingerprint}
        notice={notice}
        onSignedIn={(s) => {
          setNotice(undefined)
          setSession(s)
          // A device that has just joined learns its clinic's name from its first sync.
          reread()
        }}
      />
    )
  }
  return (
    <SessionContext.Provider value={{ session: current, status, signOut }}>
      <Shell />
    </SessionContext.Provider>
  )
}
