// The Vetdesk shell: loads the store's status from Rust, then shows the navigation and
// the current view; shows the unlock form when the store needs a passphrase, and a
// readable error (never a blank screen) when it cannot be opened.
import { useEffect, useState, type FormEvent } from 'react'
import { api, toIpcError } from './api'
import type { AppStatus, IpcError } from './bindings'
import { VIEWS, type ViewId } from './views'
import { SyncIndicator } from './SyncIndicator'

type Phase =
  | { kind: 'loading' }
  | { kind: 'ready'; status: AppStatus }
  | { kind: 'locked'; error?: IpcError }
  | { kind: 'failed'; error: IpcError }

export function App() {
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
      return <p className="centered" role="status">Opening the clinic's records…</p>
    case 'failed':
      return <ErrorScreen error={phase.error} onRetry={load} />
    case 'locked':
      return (
        <UnlockScreen
          error={phase.error}
          onUnlock={async (passphrase) => {
            try {
              setPhase({ kind: 'ready', status: await api.unlockStore(passphrase) })
            } catch (e) {
              setPhase({ kind: 'locked', error: toIpcError(e) })
            }
          }}
        />
      )
    case 'ready':
      return <Shell status={phase.status} />
  }
}

function ErrorScreen({ error, onRetry }: { error: IpcError; onRetry: () => void }) {
  return (
    <main className="centered" role="alert" data-testid="error-screen">
      <h1>Vetdesk cannot open the clinic's records</h1>
      <p className="error-message" data-error-code={error.code}>{error.message}</p>
      <button onClick={onRetry}>Try again</button>
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
      <form className="unlock" onSubmit={submit} aria-label="Unlock the clinic's records">
        <h1>Unlock Vetdesk</h1>
        <p>This device keeps the clinic's records encrypted under a passphrase.</p>
        <label htmlFor="passphrase">Passphrase</label>
        <input
          id="passphrase"
          type="password"
          autoFocus
          autoComplete="current-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        {error && (
          <p className="error-message" role="alert" data-error-code={error.code}>
            {error.message}
          </p>
        )}
        <button type="submit" disabled={busy || passphrase.length === 0}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  )
}

function Shell({ status }: { status: AppStatus }) {
  const [view, setView] = useState<ViewId>('today')

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
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

  const current = VIEWS.find((v) => v.id === view) ?? VIEWS[0]
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Vetdesk</span>
        <span className="clinic-name" data-testid="clinic-name">{status.clinic_name}</span>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <button
                className={v.id === view ? 'nav-item active' : 'nav-item'}
                aria-current={v.id === view ? 'page' : undefined}
                title={v.shortcut}
                data-view={v.id}
                onClick={() => setView(v.id)}
              >
                {v.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" data-testid="view" data-view={current.id}>
        <h1>{current.label}</h1>
        {current.id === 'settings' ? <StoreDetails status={status} /> : <p className="placeholder">{current.placeholder}</p>}
      </main>
      <footer className="statusbar" data-testid="store-status">
        <span>Local store: encrypted (SQLCipher {status.cipher_version})</span>
        <span>Schema v{status.schema_version}</span>
        <span>Key: {status.key_protection === 'os_keyring' ? 'OS keyring' : 'passphrase'}</span>
        <SyncIndicator />
      </footer>
    </div>
  )
}

function StoreDetails({ status }: { status: AppStatus }) {
  const rows: [string, string][] = [
    ['Clinic', status.clinic_name],
    ['Clinic ID', status.clinic_id],
    ['This device', status.device_id],
    ['Data directory', status.data_dir],
    ['Schema version', String(status.schema_version)],
    ['Encryption', `SQLCipher ${status.cipher_version}`],
    ['Key kept in', status.key_protection === 'os_keyring' ? 'the OS keyring' : 'a passphrase-wrapped key file'],
    ['Vetdesk version', status.app_version],
  ]
  return (
    <dl className="details" data-testid="store-details">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  )
}
