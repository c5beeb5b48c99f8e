// The admin's second factor in the app. `useSecondFactor()` gives `guard(work)`: it runs
// an admin act (approve or revoke a device, staff and roles), and when core answers that
// the act needs the admin's authenticator it asks for a code — or, the first time, shows
// the QR code to set one up and the recovery codes to write down — then runs the act
// again. Core checks the code; this only asks for it. `AuthenticatorPanel` shows the
// signed-in person's authenticator and sets one up or replaces it.
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react'
import { api, toIpcError } from '../ipc/api'
import { ErrorText } from '../shared/forms'
import { useIpcMutation, useIpcQuery, useWrite } from '../ipc/query'
import { useT } from '../shared/i18n'
import { SecondFactorContext, useSecondFactor, type Guard } from './secondFactorContext'

type Ask = 'confirm' | 'enroll'
type Pending = { ask: Ask; done: (ok: boolean) => void }

const NEEDS: Record<string, Ask> = {
  second_factor_required: 'confirm',
  second_factor_not_enrolled: 'enroll',
}

export function SecondFactorProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null)
  const ask = useCallback(
    (what: Ask) =>
      new Promise<boolean>((resolve) =>
        setPending({
          ask: what,
          done: (ok) => {
            setPending(null)
            resolve(ok)
          },
        }),
      ),
    [],
  )
  const guard = useCallback(
    async <T,>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work()
      } catch (e) {
        const needs = NEEDS[toIpcError(e).code]
        if (!needs || !(await ask(needs))) throw e
        return await work()
      }
    },
    [ask],
  ) as Guard
  const enroll = useCallback(() => ask('enroll'), [ask])
  return (
    <SecondFactorContext.Provider value={{ guard, enroll }}>
      {children}
      {pending?.ask === 'confirm' && <ConfirmDialog onDone={pending.done} />}
      {pending?.ask === 'enroll' && <EnrollDialog onDone={pending.done} />}
    </SecondFactorContext.Provider>
  )
}

function CodeForm({
  label,
  submit,
  onCancel,
  testId,
}: {
  label: string
  submit: (code: string) => Promise<void>
  onCancel: () => void
  testId: string
}) {
  const t = useT()
  const [code, setCode] = useState('')
  const sending = useWrite(submit)
  const busy = sending.isPending
  const error = sending.error
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => input.current?.focus(), [])
  const onSubmit = (event: FormEvent) => {
    event.preventDefault()
    sending.mutate(code, { onError: () => setCode('') })
  }
  return (
    <form onSubmit={onSubmit} data-testid={testId}>
      <label htmlFor="second-factor-code">{label}</label>
      <input
        id="second-factor-code"
        ref={input}
        autoComplete="one-time-code"
        inputMode="text"
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
      {error && <ErrorText error={error} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || code.trim() === ''} data-action="submit-code">
          {t('second_factor.confirm')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  )
}

function ConfirmDialog({ onDone }: { onDone: (ok: boolean) => void }) {
  const t = useT()
  const confirm = useIpcMutation('secondFactorConfirm')
  return (
    <div className="confirm" role="dialog" aria-labelledby="second-factor-title" data-testid="second-factor">
      <h3 id="second-factor-title">{t('second_factor.title')}</h3>
      <p>{t('second_factor.why')}</p>
      <CodeForm
        label={t('second_factor.code')}
        testId="second-factor-confirm"
        submit={async (code) => {
          await confirm.mutateAsync({ code })
          onDone(true)
        }}
        onCancel={() => onDone(false)}
      />
    </div>
  )
}

function EnrollDialog({ onDone }: { onDone: (ok: boolean) => void }) {
  const t = useT()
  // Beginning is a write (a new secret each time), made once as the dialog opens.
  const begin = useIpcMutation('secondFactorBegin')
  const { mutate: beginNow } = begin
  useEffect(() => beginNow(undefined), [beginNow])
  const setup = begin.data ?? null
  const finish = useIpcMutation('secondFactorFinish')
  const recovery = finish.data ?? null
  const error = begin.error
  return (
    <div className="confirm" role="dialog" aria-labelledby="second-factor-title" data-testid="second-factor-enroll">
      <h3 id="second-factor-title">{t('second_factor.enroll_title')}</h3>
      {error && <ErrorText error={error} />}
      {!recovery && setup && (
        <>
          <p>{t('second_factor.scan')}</p>
          <img
            className="qr"
            alt={t('second_factor.qr')}
            data-testid="totp-qr"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qr_svg)}`}
          />
          <p>
            {t('second_factor.or_type')} <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <CodeForm
            label={t('second_factor.first_code')}
            testId="second-factor-first-code"
            submit={async (code) => {
              await finish.mutateAsync({ secret: setup.secret, code })
            }}
            onCancel={() => onDone(false)}
          />
        </>
      )}
      {recovery && (
        <>
          <p role="status">{t('second_factor.recovery_intro')}</p>
          <ol className="recovery-codes" data-testid="recovery-codes">
            {recovery.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ol>
          <div className="actions">
            <button className="primary" data-action="recovery-saved" onClick={() => onDone(true)}>
              {t('second_factor.recovery_saved')}
            </button>
          </div>
        </>
      )}
      {!setup && !recovery && (
        <div className="actions">
          <button onClick={() => onDone(false)}>{t('form.cancel')}</button>
        </div>
      )}
    </div>
  )
}

/** The signed-in person's authenticator: whether they have one, and setting up or replacing it. */
export function AuthenticatorPanel({ onFailed }: { onFailed: (e: unknown) => void }) {
  const t = useT()
  const { guard, enroll } = useSecondFactor()
  const shown = useIpcQuery('secondFactorStatus', undefined)
  const status = shown.data ?? null
  const settingUp = useWrite(() =>
    guard(async () => {
      // Replacing one needs the old one confirmed first (core asks; guard asks the person).
      if (status?.enrolled) await api.secondFactorBegin()
      await enroll()
    }),
  )
  const setUp = () => settingUp.mutate(undefined, { onError: onFailed })
  if (shown.error) return <ErrorText error={shown.error} />
  if (!status) return null
  return (
    <div className="panel" data-testid="authenticator" data-enrolled={status.enrolled}>
      <h3>{t('second_factor.panel')}</h3>
      <p>
        {status.enrolled
          ? t('second_factor.enrolled', { count: status.recovery_codes_left })
          : t('second_factor.not_enrolled')}
      </p>
      <button data-action="set-up-authenticator" onClick={setUp}>
        {status.enrolled ? t('second_factor.replace') : t('second_factor.set_up')}
      </button>
    </div>
  )
}
