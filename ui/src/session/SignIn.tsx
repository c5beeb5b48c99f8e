// The staff switch of a shared workstation: choose who you are, enter your PIN. Core
// checks the PIN and pauses a person's sign-in after five wrong ones; this screen shows
// its answer.
import { useRef, useState, type FormEvent } from 'react'
import type { SessionView } from '../ipc/bindings'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'
import { ErrorText } from '../shared/forms'
import type { MessageKey } from '../shared/locales/en'

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
  const [picked, setPicked] = useState<string>('')
  const [pin, setPin] = useState('')
  const pinInput = useRef<HTMLInputElement>(null)

  // A device that has just enrolled has no staff until an admin approves it and its
  // first sync brings them: ask again every few seconds while the list is empty.
  const [syncing, setSyncing] = useState(false)
  const staffQuery = useIpcQuery('staffList', undefined, {
    refetchInterval: (last) => (last?.length === 0 && syncing ? STAFF_POLL_MS : 0),
  })
  const staff = staffQuery.data ?? null
  const sync = useIpcQuery('syncStatus', undefined, { enabled: staff?.length === 0 }).data
  if (Boolean(sync?.set_up) !== syncing) setSyncing(Boolean(sync?.set_up))
  const awaitingApproval = staff?.length === 0 && (sync?.awaiting_approval ?? false)
  // The only person on the list is chosen for them.
  const chosen = picked || (staff?.length === 1 && staff[0] ? staff[0].id : '')

  const signingIn = useIpcMutation('signIn')
  const busy = signingIn.isPending
  const error = signingIn.error ?? staffQuery.error

  const choose = (id: string) => {
    setPicked(id)
    signingIn.reset()
    setPin('')
    pinInput.current?.focus()
  }

  const submit = (event: FormEvent) => {
    event.preventDefault()
    signingIn.mutate(
      { staff_id: chosen, pin },
      {
        onSuccess: onSignedIn,
        onError: () => {
          setPin('')
          pinInput.current?.focus()
        },
      },
    )
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
