// Settings (Alt+9): this workstation's language and theme; the clinic's details —
// legal name, address, VAT and registration numbers, currency, default VAT, document
// text, language, time zone — which core lets admins save (and checks field by field);
// the diary's set-up (rooms and equipment, appointment types, working hours, blocked
// time; `schedule/ScheduleSetup`); and what the store is — the clinic, this device, where the data lives, its schema
// and encryption, the app version.
import { useState, type FormEvent } from 'react'
import type { AppStatus, ClinicSettings, IpcError } from '../ipc/bindings'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { ErrorText, SelectField, TextField } from '../shared/forms'
import { formError } from '../shared/formErrors'
import { LANGUAGES, useLanguage, useT, type Language } from '../shared/i18n'
import { THEMES, useTheme, type Theme } from '../shared/theme'
import { ScheduleSetup } from '../schedule/ScheduleSetup'

const CLINIC_FIELDS = [
  'clinic_name',
  'legal_name',
  'address',
  'phone',
  'email',
  'vat_number',
  'registration',
  'currency',
  'default_vat_bp',
  'payment_terms',
  'document_text',
  'language',
  'time_zone',
] as const

export function Settings({ status }: { status: AppStatus }) {
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
      <ClinicDetails />
      <ScheduleSetup />
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

/** The clinic's details as a form; core decides who may save them and checks each. */
function ClinicDetails() {
  const t = useT()
  const shown = useIpcQuery('clinicSettings', undefined)
  if (shown.error) return <ErrorText error={shown.error} />
  if (!shown.data) return <p role="status">{t('app.loading')}</p>
  return <ClinicForm initial={shown.data} />
}

function ClinicForm({ initial }: { initial: ClinicSettings }) {
  const t = useT()
  const [form, setForm] = useState(() => ({
    ...initial,
    default_vat: initial.default_vat_bp === null ? '' : String(initial.default_vat_bp / 100),
  }))
  const [local, setLocal] = useState<IpcError | null>(null)
  const save = useIpcMutation('saveClinicSettings')
  const error = local ?? save.error
  const text = (key: 'legal_name' | 'address' | 'phone' | 'email' | 'vat_number' | 'registration' | 'payment_terms' | 'document_text' | 'time_zone') =>
    ({
      value: form[key] ?? '',
      onChange: (value: string) => setForm((f) => ({ ...f, [key]: value === '' ? null : value })),
      error,
    })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setLocal(null)
    const vat = form.default_vat.trim().replace(',', '.')
    const percent = vat === '' ? null : Number(vat)
    if (percent !== null && !Number.isFinite(percent)) {
      setLocal({ code: 'invalid', message: t('settings.vat_not_number'), field: 'default_vat_bp' })
      return
    }
    const { default_vat: _typed, ...settings } = form
    save.mutate({ ...settings, default_vat_bp: percent === null ? null : Math.round(percent * 100) })
  }
  const general = formError(error, CLINIC_FIELDS)
  return (
    <form className="stack-form clinic-details" onSubmit={submit} aria-labelledby="clinic-details" data-testid="clinic-details">
      <h2 id="clinic-details">{t('settings.clinic_details')}</h2>
      <p className="muted">{t('settings.clinic_details_explain')}</p>
      <TextField
        name="clinic_name"
        label={t('settings.clinic_name')}
        value={form.name}
        onChange={(name) => setForm((f) => ({ ...f, name }))}
        error={error}
      />
      <TextField name="legal_name" label={t('settings.legal_name')} {...text('legal_name')} />
      <TextField name="address" label={t('settings.address')} multiline {...text('address')} />
      <TextField name="phone" type="tel" label={t('settings.phone')} {...text('phone')} />
      <TextField name="email" type="email" label={t('settings.email')} {...text('email')} />
      <TextField name="vat_number" label={t('settings.vat_number')} {...text('vat_number')} />
      <TextField name="registration" label={t('settings.registration')} multiline {...text('registration')} />
      <TextField
        name="currency"
        label={t('settings.currency')}
        value={form.currency}
        onChange={(currency) => setForm((f) => ({ ...f, currency: currency.toUpperCase() }))}
        error={error}
      />
      <TextField
        name="default_vat_bp"
        label={t('settings.default_vat')}
        value={form.default_vat}
        onChange={(default_vat) => setForm((f) => ({ ...f, default_vat }))}
        error={error}
      />
      <TextField name="payment_terms" label={t('settings.payment_terms')} multiline {...text('payment_terms')} />
      <TextField name="document_text" label={t('settings.document_text')} multiline {...text('document_text')} />
      <SelectField
        name="language"
        label={t('settings.clinic_language')}
        value={form.language}
        options={LANGUAGES.map((l) => ({ value: l.id, label: l.name }))}
        onChange={(language) => setForm((f) => ({ ...f, language }))}
        error={error}
      />
      <TextField name="time_zone" label={t('settings.time_zone')} placeholder="Europe/London" {...text('time_zone')} />
      {general && <ErrorText error={general} />}
      {save.data && (
        <p role="status" data-testid="clinic-saved">
          {save.data.length === 0 ? t('settings.clinic_unchanged') : t('settings.clinic_saved', { changes: save.data.join(', ') })}
        </p>
      )}
      <button type="submit" className="primary" disabled={save.isPending} data-action="save-clinic">
        {t('settings.save_clinic')}
      </button>
    </form>
  )
}
