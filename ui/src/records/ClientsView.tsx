// Clients & Patients: a client's card with their animals; forms to add or edit a client
// and an animal. Every rule (required names, a valid email or phone, a species from the
// list, a date of birth not in the future) is core's: a refused save comes back as
// `invalid` naming the field, and the message is shown beside that field.
import { useState, type FormEvent } from 'react'
import { api } from '../ipc/api'
import { useIpcMutation, useIpcQuery, useWrite } from '../ipc/query'
import { useMoney } from '../billing/useMoney'
import type { ClientDetail, ClientInput, IpcError, Patient, PatientInput } from '../ipc/bindings'
import { CheckField, ErrorText, SelectField, TextField } from '../shared/forms'
import { formError, optional } from '../shared/formErrors'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'

/** What the view shows; search and the buttons move between these. */
export type ClientsPage =
  | { kind: 'start' }
  | { kind: 'client'; clientId: string }
  | { kind: 'new-client' }
  | { kind: 'edit-client'; clientId: string }
  | { kind: 'new-patient'; clientId: string }
  | { kind: 'edit-patient'; clientId: string; patientId: string }

const SPECIES = [
  'dog',
  'cat',
  'rabbit',
  'guinea_pig',
  'hamster',
  'ferret',
  'bird',
  'reptile',
  'horse',
  'cattle',
  'other',
] as const
const SEXES = ['male', 'female', 'unknown'] as const

const CLIENT_FIELDS = ['first_name', 'last_name', 'phone', 'email', 'address', 'notes'] as const
const PATIENT_FIELDS = [
  'patient_name',
  'species',
  'breed',
  'sex',
  'date_of_birth',
  'microchip',
  'colour',
  'allergies',
  'alerts',
] as const

const EMPTY_CLIENT: ClientInput = {
  first_name: '',
  last_name: '',
  phone: null,
  email: null,
  address: null,
  consent_email: false,
  consent_sms: false,
  consent_recording: false,
  notes: null,
}

const EMPTY_PATIENT: PatientInput = {
  name: '',
  species: '',
  breed: null,
  sex: '',
  neutered: false,
  date_of_birth: null,
  microchip: null,
  colour: null,
  allergies: null,
  alerts: null,
  deceased: false,
}

export function ClientsView({ page, go }: { page: ClientsPage; go: (page: ClientsPage) => void }) {
  const t = useT()
  const clientId = 'clientId' in page ? page.clientId : null
  // A page shows only its own client: the answer is keyed by the client's id.
  const shown = useIpcQuery('clientDetail', { id: clientId ?? '' }, { enabled: clientId !== null })
  const detail = clientId ? (shown.data ?? null) : null
  const loadError = clientId ? shown.error : null

  if (loadError) return <ErrorText error={loadError} />
  switch (page.kind) {
    case 'start':
      return (
        <section>
          <p className="muted">{t('clients.start')}</p>
          <button className="primary" data-testid="new-client" onClick={() => go({ kind: 'new-client' })}>
            {t('clients.new')}
          </button>
        </section>
      )
    case 'new-client':
      return (
        <ClientForm
          title={t('clients.new')}
          initial={EMPTY_CLIENT}
          onCancel={() => go({ kind: 'start' })}
          onSave={(client) => api.saveClient({ client })}
          onSaved={(id) => go({ kind: 'client', clientId: id })}
        />
      )
    case 'edit-client':
      return detail ? (
        <ClientForm
          title={t('clients.edit')}
          initial={clientInputOf(detail)}
          onCancel={() => go({ kind: 'client', clientId: page.clientId })}
          onSave={(client) => api.saveClient({ id: page.clientId, client })}
          onSaved={(id) => go({ kind: 'client', clientId: id })}
        />
      ) : null
    case 'new-patient':
      return detail ? (
        <PatientForm
          title={t('patient.new', { owner: fullName(detail.client) })}
          initial={EMPTY_PATIENT}
          onCancel={() => go({ kind: 'client', clientId: page.clientId })}
          onSave={(patient) => api.savePatient({ patient, owners: [page.clientId] })}
          onSaved={() => go({ kind: 'client', clientId: page.clientId })}
        />
      ) : null
    case 'edit-patient': {
      const patient = detail?.patients.find((p) => p.id === page.patientId)
      return patient ? (
        <PatientForm
          title={t('patient.edit', { name: patient.name })}
          initial={patientInputOf(patient)}
          onCancel={() => go({ kind: 'client', clientId: page.clientId })}
          onSave={(input) => api.savePatient({ id: page.patientId, patient: input, owners: [] })}
          onSaved={() => go({ kind: 'client', clientId: page.clientId })}
        />
      ) : null
    }
    case 'client':
      return detail ? <ClientCard detail={detail} go={go} /> : null
  }
}

function fullName(client: { first_name: string; last_name: string }): string {
  return `${client.first_name} ${client.last_name}`
}

function clientInputOf(detail: ClientDetail): ClientInput {
  const { id: _id, created_at: _created, ...input } = detail.client
  return input
}

function patientInputOf(patient: Patient): PatientInput {
  const { id: _id, created_at: _created, owners: _owners, ...input } = patient
  return input
}

function ClientCard({ detail, go }: { detail: ClientDetail; go: (page: ClientsPage) => void }) {
  const t = useT()
  const { client, patients } = detail
  const yesNo = (v: boolean) => (v ? t('form.yes') : t('form.no'))
  const rows: [MessageKey, string][] = [
    ['client.phone', client.phone ?? t('clients.not_given')],
    ['client.email', client.email ?? t('clients.not_given')],
    ['client.address', client.address ?? t('clients.not_given')],
    ['client.consent_email', yesNo(client.consent_email)],
    ['client.consent_sms', yesNo(client.consent_sms)],
    ['client.consent_recording', yesNo(client.consent_recording)],
  ]
  return (
    <section data-testid="client-card" data-client-id={client.id}>
      <h2>{fullName(client)}</h2>
      <dl className="details">
        {rows.map(([key, value]) => (
          <div key={key}>
            <dt>{t(key)}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <p>
        <button onClick={() => go({ kind: 'edit-client', clientId: client.id })}>{t('clients.edit')}</button>
      </p>
      <ClientAccount clientId={client.id} />
      <h3>{t('clients.patients')}</h3>
      {patients.length === 0 ? (
        <p className="muted">{t('clients.no_patients')}</p>
      ) : (
        <ul className="patients" data-testid="patients">
          {patients.map((p) => (
            <li key={p.id} data-patient-id={p.id}>
              <button
                className="link"
                onClick={() => go({ kind: 'edit-patient', clientId: client.id, patientId: p.id })}
              >
                {p.name}
              </button>{' '}
              {p.number && (
                <span className="patient-number" data-testid="patient-number" title={t('patient.number')}>
                  {p.number}
                </span>
              )}{' '}
              <span className="muted">
                {t(`species.${p.species}` as MessageKey)}
                {p.breed ? `, ${p.breed}` : ''}
                {p.date_of_birth ? `, ${p.date_of_birth}` : ''}
              </span>
              {p.alerts && <span className="alert-chip">{p.alerts}</span>}
              {p.allergies && <span className="alert-chip">{p.allergies}</span>}
            </li>
          ))}
        </ul>
      )}
      <button className="primary" data-testid="add-patient" onClick={() => go({ kind: 'new-patient', clientId: client.id })}>
        {t('clients.add_patient')}
      </button>
    </section>
  )
}

/** Shared save logic: busy while saving, the refusal kept for the fields. */
function useSave() {
  const saving = useWrite((work: () => Promise<string>) => work())
  const save = (work: () => Promise<string>, onSaved: (id: string) => void) => saving.mutate(work, { onSuccess: onSaved })
  return { busy: saving.isPending, error: saving.error, save }
}

/** What both record forms take: the record to start from and what to do with it. */
interface RecordFormProps<T> {
  title: string
  initial: T
  onSave: (value: T) => Promise<string>
  onSaved: (id: string) => void
  onCancel: () => void
}

/** A form's error that names no field of it, and its Save / Cancel buttons. */
function FormFooter({ general, busy, onCancel }: { general: IpcError | null; busy: boolean; onCancel: () => void }) {
  const t = useT()
  return (
    <>
      {general && <ErrorText error={general} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('form.saving') : t('form.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('form.cancel')}
        </button>
      </div>
    </>
  )
}

function ClientForm({ title, initial, onSave, onSaved, onCancel }: RecordFormProps<ClientInput>) {
  const t = useT()
  const [client, setClient] = useState<ClientInput>(initial)
  const { busy, error, save } = useSave()
  const set = (field: keyof ClientInput) => (value: string) =>
    setClient((c) => ({ ...c, [field]: field === 'first_name' || field === 'last_name' ? value : optional(value) }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save(() => onSave(client), onSaved)
  }
  const general = formError(error, CLIENT_FIELDS)
  return (
    <form className="record-form" onSubmit={submit} aria-label={title} data-testid="client-form" noValidate>
      <h2>{title}</h2>
      <div className="grid">
        <TextField name="first_name" label={t('client.first_name')} value={client.first_name} onChange={set('first_name')} error={error} autoFocus />
        <TextField name="last_name" label={t('client.last_name')} value={client.last_name} onChange={set('last_name')} error={error} />
        <TextField name="phone" type="tel" label={t('client.phone')} value={client.phone ?? ''} onChange={set('phone')} error={error} />
        <TextField name="email" type="email" label={t('client.email')} value={client.email ?? ''} onChange={set('email')} error={error} />
        <TextField name="address" label={t('client.address')} value={client.address ?? ''} onChange={set('address')} error={error} multiline />
        <TextField name="notes" label={t('client.notes')} value={client.notes ?? ''} onChange={set('notes')} error={error} multiline />
      </div>
      <fieldset>
        <legend>{t('clients.consents')}</legend>
        <CheckField name="consent_email" label={t('client.consent_email')} checked={client.consent_email} onChange={(v) => setClient((c) => ({ ...c, consent_email: v }))} />
        <CheckField name="consent_sms" label={t('client.consent_sms')} checked={client.consent_sms} onChange={(v) => setClient((c) => ({ ...c, consent_sms: v }))} />
        <CheckField name="consent_recording" label={t('client.consent_recording')} checked={client.consent_recording} onChange={(v) => setClient((c) => ({ ...c, consent_recording: v }))} />
      </fieldset>
      <FormFooter general={general} busy={busy} onCancel={onCancel} />
    </form>
  )
}

function PatientForm({ title, initial, onSave, onSaved, onCancel }: RecordFormProps<PatientInput>) {
  const t = useT()
  const [patient, setPatient] = useState<PatientInput>(initial)
  const { busy, error, save } = useSave()
  const required = new Set(['name', 'species', 'sex'])
  const set = (field: keyof PatientInput) => (value: string) =>
    setPatient((p) => ({ ...p, [field]: required.has(field) ? value : optional(value) }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save(() => onSave(patient), onSaved)
  }
  const general = formError(error, PATIENT_FIELDS)
  return (
    <form className="record-form" onSubmit={submit} aria-label={title} data-testid="patient-form" noValidate>
      <h2>{title}</h2>
      <div className="grid">
        <TextField name="patient_name" label={t('patient.name')} value={patient.name} onChange={set('name')} error={error} autoFocus />
        <SelectField
          name="species"
          label={t('patient.species')}
          value={patient.species}
          placeholder={t('patient.choose')}
          options={SPECIES.map((s) => ({ value: s, label: t(`species.${s}` as MessageKey) }))}
          onChange={set('species')}
          error={error}
        />
        <TextField name="breed" label={t('patient.breed')} value={patient.breed ?? ''} onChange={set('breed')} error={error} />
        <SelectField
          name="sex"
          label={t('patient.sex')}
          value={patient.sex}
          placeholder={t('patient.choose')}
          options={SEXES.map((s) => ({ value: s, label: t(`sex.${s}` as MessageKey) }))}
          onChange={set('sex')}
          error={error}
        />
        <TextField name="date_of_birth" placeholder={t('patient.date_format')} label={t('patient.date_of_birth')} value={patient.date_of_birth ?? ''} onChange={set('date_of_birth')} error={error} />
        <TextField name="microchip" label={t('patient.microchip')} value={patient.microchip ?? ''} onChange={set('microchip')} error={error} />
        <TextField name="colour" label={t('patient.colour')} value={patient.colour ?? ''} onChange={set('colour')} error={error} />
        <TextField name="allergies" label={t('patient.allergies')} value={patient.allergies ?? ''} onChange={set('allergies')} error={error} />
        <TextField name="alerts" label={t('patient.alerts')} value={patient.alerts ?? ''} onChange={set('alerts')} error={error} />
      </div>
      <CheckField name="neutered" label={t('patient.neutered')} checked={patient.neutered} onChange={(v) => setPatient((p) => ({ ...p, neutered: v }))} />
      <CheckField name="deceased" label={t('patient.deceased')} checked={patient.deceased} onChange={(v) => setPatient((p) => ({ ...p, deceased: v }))} />
      <FormFooter general={general} busy={busy} onCancel={onCancel} />
    </form>
  )
}

/**
 * The client's balance and statement (PDF), for the roles core lets see billing; for
 * the others core refuses the statement and the card simply has no account part.
 */
function ClientAccount({ clientId }: { clientId: string }) {
  const t = useT()
  const money = useMoney()
  const statement = useIpcQuery('clientStatement', { id: clientId })
  const save = useIpcMutation('statementPdf', { changesRecords: false })
  if (!statement.data) return null
  return (
    <section className="client-account" aria-label={t('clients.account')} data-testid="client-account">
      <p data-testid="client-balance">{t('billing.balance', { amount: money(statement.data.balance_cents) })}</p>
      <button data-action="statement-pdf" disabled={save.isPending} onClick={() => save.mutate({ id: clientId })}>
        {t('clients.statement_pdf')}
      </button>
      {save.error && <ErrorText error={save.error} />}
      {save.data && (
        <p role="status" data-testid="saved-statement" data-path={save.data.path}>
          {t('billing.saved', { path: save.data.path })}
        </p>
      )}
    </section>
  )
}
