// The Vetdesk shell: loads the store's status from Rust; shows the unlock form when the
// store needs a passphrase and a readable error (never a blank screen) when it cannot
// be opened; then the staff sign-in, and once someone is signed in the navigation, the
// current view, global search (Ctrl+K) and the always-visible status bar.
import { useCallback, useEffect, useState, type FormEvent } from 'react'
import { api, toIpcError } from './api'
import type { AppStatus, Hit, IpcError, SessionView } from './bindings'
import { VIEWS, type ViewId } from './views'
import { SyncIndicator } from './SyncIndicator'
import { LANGUAGES, useLanguage, useT, type Language } from './i18n'
import { LanguageProvider } from './LanguageProvider'
import { ErrorText } from './forms'
import { SearchPalette } from './SearchPalette'
import { SignInScreen } from './SignIn'
import { EnrollScreen } from './Enroll'
import { useIdleLock } from './idleLock'
import { ClientsView, type ClientsPage } from './ClientsView'
import { DayBoard } from './DayBoard'
import { ExamView } from './ExamView'
import { OwnerView } from './OwnerView'
import { BillingView } from './BillingView'
import { InventoryView } from './InventoryView'
import { ReportsView } from './ReportsView'
import { THEMES, useTheme, type Theme } from './theme'

type Phase =
  | { kind: 'loading' }
  | { kind: 'ready'; status: AppStatus }
  | { kind: 'locked'; error?: IpcError }
  | { kind: 'failed'; error: IpcError }

export function App({ language }: { language?: Language } = {}) {
  return (
    <LanguageProvider initial={language}>
      <Root />
    </LanguageProvider>
  )
}

function Root() {
  const t = useT()
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' })
  // Bumped by "Try again" to ask the Rust side for the store's status once more.
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    let current = true
    api.appStatus().then(
      (status) => {
        if (current) setPhase({ kind: 'ready', status })
      },
      (e: unknown) => {
        if (!current) return
        const error = toIpcError(e)
        setPhase(error.code === 'passphrase_required' ? { kind: 'locked' } : { kind: 'failed', error })
      },
    )
    return () => {
      current = false
    }
  }, [attempt])

  const load = () => {
    setPhase({ kind: 'loading' })
    setAttempt((n) => n + 1)
  }

  switch (phase.kind) {
    case 'loading':
      return (
        <p className="centered" role="status">
          {t('app.loading')}
        </p>
      )
    case 'failed':
      if (phase.error.code === 'not_initialized') {
        return <EnrollScreen onEnrolled={(status) => setPhase({ kind: 'ready', status })} />
      }
      return <ErrorScreen error={phase.error} onRetry={load} />
    case 'locked':
      return (
        <UnlockScreen
          error={phase.error}
          onUnlock={async (passphrase) => {
            try {
              setPhase({ kind: 'ready', status: await api.unlockStore({ passphrase }) })
            } catch (e) {
              setPhase({ kind: 'locked', error: toIpcError(e) })
            }
          }}
        />
      )
    case 'ready':
      return <SessionGate status={phase.status} />
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
  onUnlock,
}: {
  error?: IpcError
  onUnlock: (passphrase: string) => Promise<void>
}) {
  const t = useT()
  const [passphrase, setPassphrase] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    await onUnlock(passphrase)
    setBusy(false)
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

/** Signs staff in on a shared workstation; locks after inactivity. */
function SessionGate({ status: opened }: { status: AppStatus }) {
  const t = useT()
  // Read again at each sign-in: a device that has just joined learns its clinic's name
  // from its first sync.
  const [status, setStatus] = useState(opened)
  const [session, setSession] = useState<SessionView | null | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)

  useEffect(() => {
    let live = true
    api.currentSession().then(
      (s) => live && setSession(s),
      () => live && setSession(null),
    )
    return () => {
      live = false
    }
  }, [])

  const signOut = useCallback((why?: string) => {
    void api.signOut().catch(() => {})
    setNotice(why)
    setSession(null)
  }, [])

  if (session === undefined) {
    return (
      <p className="centered" role="status">
        {t('app.loading')}
      </p>
    )
  }
  if (session === null) {
    return (
      <SignInScreen
        deviceId={status.device_id}
        deviceName={status.device_name ?? ''}
        deviceFingerprint={status.device_fingerprint}
        notice={notice}
        onSignedIn={(s) => {
          setNotice(undefined)
          setSession(s)
          api.appStatus().then(setStatus, () => {})
        }}
      />
    )
  }
  return <Shell status={status} session={session} onSignOut={signOut} />
}

function Shell({
  status,
  session,
  onSignOut,
}: {
  status: AppStatus
  session: SessionView
  onSignOut: (why?: string) => void
}) {
  const t = useT()
  const [view, setView] = useState<ViewId>('today')
  const [clientsPage, setClientsPage] = useState<ClientsPage>({ kind: 'start' })
  const [searching, setSearching] = useState(false)

  const lockNotice = t('signin.locked', { minutes: Math.round(session.idle_lock_seconds / 60) })
  useIdleLock(session.idle_lock_seconds, () => onSignOut(lockNotice))

  /** A command refused because the session ended in Rust: back to the sign-in. */
  const handleSignedOut = useCallback(
    (error: IpcError) => {
      if (error.code !== 'signed_out') return false
      onSignOut(error.message)
      return true
    },
    [onSignOut],
  )

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey && !event.altKey && event.key.toLowerCase() === 'k') {
        event.preventDefault()
        setSearching(true)
        return
      }
      if (!event.altKey) return
      const index = Number.parseInt(event.key, 10) - 1
      const target = VIEWS[index]
      if (target) {
        event.preventDefault()
        setView(target.id)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const openHit = async (hit: Hit) => {
    setSearching(false)
    setView('clients')
    if (hit.kind === 'client') {
      setClientsPage({ kind: 'client', clientId: hit.id })
      return
    }
    try {
      const patient = await api.patientDetail({ id: hit.id })
      const owner = patient.owners.find((o) => o.primary) ?? patient.owners[0]
      if (owner) setClientsPage({ kind: 'edit-patient', clientId: owner.client_id, patientId: patient.id })
    } catch (e) {
      handleSignedOut(toIpcError(e))
    }
  }

  const current = VIEWS.find((v) => v.id === view) ?? VIEWS[0]
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">{t('app.brand')}</span>
        <span className="clinic-name" data-testid="clinic-name">
          {status.clinic_name}
        </span>
        <button className="search-button" onClick={() => setSearching(true)} data-testid="open-search">
          {t('search.open')}
        </button>
        <span className="spacer" />
        <span data-testid="signed-in">{t('signin.signed_in_as', { name: session.name })}</span>
        <button className="switch-staff" onClick={() => onSignOut()} data-testid="switch-staff">
          {t('signin.switch')}
        </button>
      </header>
      <nav className="sidebar" aria-label={t('nav.label')}>
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <button
                className={v.id === view ? 'nav-item active' : 'nav-item'}
                aria-current={v.id === view ? 'page' : undefined}
                title={v.shortcut}
                data-view={v.id}
                onClick={() => {
                  setView(v.id)
                  if (v.id === 'clients' && view === 'clients') setClientsPage({ kind: 'start' })
                }}
              >
                {t(v.label)}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" data-testid="view" data-view={current.id}>
        <h1>{t(current.label)}</h1>
        {current.id === 'settings' ? (
          <Settings status={status} />
        ) : current.id === 'clients' ? (
          <ClientsView page={clientsPage} go={setClientsPage} onSignedOut={handleSignedOut} />
        ) : current.id === 'today' ? (
          <DayBoard onSignedOut={handleSignedOut} />
        ) : current.id === 'exam' ? (
          <ExamView session={session} onSignedOut={handleSignedOut} />
        ) : current.id === 'billing' ? (
          <BillingView onSignedOut={handleSignedOut} />
        ) : current.id === 'inventory' ? (
          <InventoryView onSignedOut={handleSignedOut} />
        ) : current.id === 'reports' ? (
          <ReportsView onSignedOut={handleSignedOut} />
        ) : current.id === 'owner' ? (
          <OwnerView deviceId={status.device_id} onSignedOut={handleSignedOut} />
        ) : current.placeholder ? (
          <p className="placeholder">{t(current.placeholder)}</p>
        ) : null}
      </main>
      <footer className="statusbar" data-testid="store-status">
        <span>{t('status.store', { version: status.cipher_version })}</span>
        <span>{t('status.schema', { version: status.schema_version })}</span>
        <span>{status.key_protection === 'os_keyring' ? t('status.key_keyring') : t('status.key_passphrase')}</span>
        <SyncIndicator />
      </footer>
      {searching && <SearchPalette onOpen={(hit) => void openHit(hit)} onClose={() => setSearching(false)} />}
    </div>
  )
}

function Settings({ status }: { status: AppStatus }) {
  const t = useT()
  const { language, setLanguage } = useLanguage()
  const [theme, setTheme] = useTheme()
  const rows: [string, string][] = [
    [t('settings.clinic'), status.clinic_name],
    [t('settings.clinic_id'), status.clinic_id],
    [t('settings.device'), status.device_id],
    [t('settings.data_dir'), status.data_dir],
    [t('settings.schema'), String(status.schema_version)],
    [t('settings.encryption'), `SQLCipher ${status.cipher_version}`],
    [t('settings.key_kept_in'), status.key_protection === 'os_keyring' ? t('settings.key_in_keyring') : t('settings.key_in_file')],
    [t('settings.version'), status.app_version],
  ]
  return (
    <>
      <div className="preferences">
        <label htmlFor="language">{t('settings.language')}</label>
        <select id="language" value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
          {LANGUAGES.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
        <label htmlFor="theme">{t('settings.theme')}</label>
        <select id="theme" value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
          {THEMES.map((id) => (
            <option key={id} value={id}>
              {t(`settings.theme.${id}`)}
            </option>
          ))}
        </select>
      </div>
      <dl className="details" data-testid="store-details">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </>
  )
}
