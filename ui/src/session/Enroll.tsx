// First run on a new device: no clinic's records here yet. The device joins its clinic
// with the sync server's address and a one-time code an admin made on a trusted device
// (Owner → Devices → Invite). Core checks every field; the device then waits for an
// admin to approve it, and its records arrive by sync. Plain http:// is refused by core
// except to this computer, or to the clinic's own network when the box says so. A
// server with a certificate from the clinic's own CA needs that CA pasted (advanced).
import { useState, type FormEvent } from 'react'
import type { AppStatus } from '../ipc/bindings'
import { useIpcMutation } from '../ipc/query'
import { useT } from '../shared/i18n'
import { ErrorText, TextField } from '../shared/forms'

export function EnrollScreen({ onEnrolled }: { onEnrolled: (status: AppStatus) => void }) {
  const t = useT()
  const [server, setServer] = useState('')
  const [code, setCode] = useState('')
  const [deviceName, setDeviceName] = useState('')
  const [passphrase, setPassphrase] = useState('')
  const [allowLanHttp, setAllowLanHttp] = useState(false)
  const [caCert, setCaCert] = useState('')
  const enrolling = useIpcMutation('enrollDevice')
  const busy = enrolling.isPending
  const error = enrolling.error

  const submit = (event: FormEvent) => {
    event.preventDefault()
    enrolling.mutate(
      {
        server,
        code,
        device_name: deviceName,
        passphrase: passphrase === '' ? null : passphrase,
        allow_lan_http: allowLanHttp && server.trim().toLowerCase().startsWith('http://'),
        ca_cert: caCert.trim() === '' ? null : caCert,
      },
      { onSuccess: onEnrolled },
    )
  }

  return (
    <main className="centered">
      <form className="unlock enroll" onSubmit={submit} aria-labelledby="enroll-title" data-testid="enroll-form">
        <h1 id="enroll-title">{t('enroll.title')}</h1>
        <p>{t('enroll.explain')}</p>
        <TextField
          name="server"
          type="url"
          label={t('enroll.server')}
          value={server}
          onChange={setServer}
          error={error}
          autoFocus
          placeholder="https://sync.example-clinic.org"
        />
        {server.trim().toLowerCase().startsWith('http://') && (
          <label className="checkbox">
            <input
              type="checkbox"
              name="allow_lan_http"
              checked={allowLanHttp}
              onChange={(e) => setAllowLanHttp(e.target.checked)}
            />
            {t('enroll.allow_lan_http')}
          </label>
        )}
        <TextField name="code" label={t('enroll.code')} value={code} onChange={setCode} error={error} />
        <TextField
          name="device_name"
          label={t('enroll.device_name')}
          value={deviceName}
          onChange={setDeviceName}
          error={error}
          placeholder={t('enroll.device_name_example')}
        />
        <TextField
          name="passphrase"
          type="password"
          label={t('enroll.passphrase')}
          value={passphrase}
          onChange={setPassphrase}
          error={error}
        />
        <p className="hint">{t('enroll.passphrase_hint')}</p>
        <details open={caCert !== '' || error?.field === 'ca_cert'}>
          <summary>{t('enroll.ca_cert_summary')}</summary>
          <TextField
            name="ca_cert"
            label={t('enroll.ca_cert')}
            value={caCert}
            onChange={setCaCert}
            error={error}
            multiline
            placeholder="-----BEGIN CERTIFICATE-----"
          />
        </details>
        {error && !error.field && <ErrorText error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? t('enroll.busy') : t('enroll.submit')}
        </button>
      </form>
    </main>
  )
}
