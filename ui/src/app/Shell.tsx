// The signed-in shell: the top bar (clinic, search, who is signed in, the staff
// switch), the navigation, the current view from the views table, global search
// (Ctrl+K), Alt+1…9 for the views, the idle lock, and the always-visible status bar.
import { useEffect, useState } from 'react'
import { api, toIpcError } from '../ipc/api'
import type { Hit } from '../ipc/bindings'
import { useReportSignedOut } from '../ipc/query'
import type { ClientsPage } from '../records/ClientsView'
import { SearchPalette } from '../records/SearchPalette'
import { useIdleLock } from '../session/idleLock'
import { useT } from '../shared/i18n'
import { SyncIndicator } from '../sync/SyncIndicator'
import { useSession } from './session'
import { VIEWS, type ViewId } from './views'

export function Shell() {
  const t = useT()
  const { status, session, signOut } = useSession()
  const report = useReportSignedOut()
  const [view, setView] = useState<ViewId>('today')
  const [clientsPage, setClientsPage] = useState<ClientsPage>({ kind: 'start' })
  const [searching, setSearching] = useState(false)

  const lockNotice = t('signin.locked', { minutes: Math.round(session.idle_lock_seconds / 60) })
  useIdleLock(session.idle_lock_seconds, () => signOut(lockNotice))

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
      report(toIpcError(e))
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
        <button className="switch-staff" onClick={() => signOut()} data-testid="switch-staff">
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
        {current.render({ status, session, clientsPage, goClients: setClientsPage })}
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
