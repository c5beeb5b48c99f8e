// The staff switch of a shared workstation: choose who you are, enter your PIN. Core
// checks the PIN and pauses a person's sign-in after five wrong ones; this screen shows
// its answer.
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { api, toIpcError } from './api'
import type { IpcError, SessionView, StaffCard } from './bindings'
import { useT } from './i18n'
import { ErrorText } from './forms'
import type { MessageKey } from './locales/en'

/** How often an empty staff list is asked for again (a device waiting for its first sync). */
const STAFF_POLL_MS = 3000

export function SignInScreen({
  onSignedIn,
  notice,
  deviceId,
  deviceName,
  deviceFingerprint,
}: {
  onSignedIn: (session: SessionView) => void
  notice?: string
  deviceId?: string
  deviceName?: string
  deviceFingerprint?: string
}) {
  const t = useT()
  const [staff, setStaff] = useState<StaffCard[] | null>(null)
  const [chosen, setChosen] = useState<string>('')
  const [pin, setPin] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<IpcError | null>(null)
  const pinInput = useRef<HTMLInputElement>(null)

  const [awaitingApproval, setAwaitingApproval] = useState(false)

  // A device that has just enrolled has no staff until an admin approves it and its
  // first sync brings them: ask again every few seconds while the list is empty.
  useEffect(() => {
    let live = true
    let timer: ReturnType<typeof setTimeout> | undefined
    const load = async () => {
      try {
        const list = await api.staffList()
        if (!live) return
        setStaff(list)
        if (list.length === 1 && list[0]) setChosen(list[0].id)
        if (list.length > 0) return
        const sync = await api.syncStatus()
        if (!live) return
        setAwaitingApproval(sync?.awaiting_approval ?? false)
        if (sync?.set_up) timer = setTimeout(() => void load(), STAFF_POLL_MS)
      } catch (e) {
        if (live) setError(toIpcError(e))
      }
    }
    void load()
    return () => {
      live = false
      if (timer) clearTimeout(timer)
    }
  }, [])

  const choose = (id: string) => {
    setChosen(id)
    setError(null)
    setPin('')
    pinInput.current?.focus()
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    try {
      onSignedIn(await api.signIn({ staff_id: chosen, pin }))
    } catch (e) {
      setError(toIpcError(e))
      setPin('')
      pinInput.current?.focus()
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="centered">
      <form className="unlock signin" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">{t('signin.title')}</h1>
        {notice && (
          <p role="status" data-testid="lock-notice">
            {notice}
          </p>
        )}
        <p>{t('signin.explain')}</p>
        {staff && staff.length === 0 && !awaitingApproval && <p>{t('signin.none')}</p>}
        {staff && staff.length === 0 && awaitingApproval && (
          <p role="status" data-testid="awaiting-approval">
            {t('signin.awaiting_approval', {
              device: deviceId ?? '',
              name: deviceName ?? '',
              fingerprint: deviceFingerprint ?? '',
            })}
          </p>
        )}
        <fieldset className="staff-choice">
          <legend>{t('signin.staff')}</legend>
          {(staff ?? []).map((member) => (
            <label
              key={member.id}
              className={member.id === chosen ? 'staff-card chosen' : 'staff-card'}
              data-staff-name={member.name}
            >
              <input
                type="radio"
                name="staff"
                value={member.id}
                checked={member.id === chosen}
                onChange={() => choose(member.id)}
              />
              <span className="staff-name">{member.name}</span>
              <span className="staff-roles">
                {member.roles.map((r) => t(`role.${r}` as MessageKey)).join(', ')}
              </span>
            </label>
          ))}
        </fieldset>
        <label htmlFor="pin">{t('signin.pin')}</label>
        <input
          id="pin"
          ref={pinInput}
          type="password"
          inputMode="numeric"
          autoComplete="off"
          value={pin}
          onChange={(e) => setPin(e.target.value)}
          aria-describedby={error ? 'signin-error' : undefined}
        />
        {error && <ErrorText id="signin-error" error={error} />}
        <button type="submit" disabled={busy || !chosen || pin.length === 0}>
          {busy ? t('signin.busy') : t('signin.submit')}
        </button>
      </form>
    </main>
  )
}
