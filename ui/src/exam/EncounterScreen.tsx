// The exam: the patient chart (alerts and allergies first, weights, visits,
// prescriptions) beside the SOAP editor, the scribe's drafts for review — each item
// beside the words and audio time it came from, approve / edit / reject, a flagged dose
// only with a reason — then signing, and addenda once signed. Every rule is core's;
// this shows what core answers.
import { useState, type FormEvent, type KeyboardEvent } from 'react'
import { api } from '../ipc/api'
import type { DraftItemView, DraftView, EncounterView, Item, PatientChart, SoapInput } from '../ipc/bindings'
import { ErrorText } from '../shared/forms'
import { useActions, useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'
import { audioTime, describeFlag, describeItem, needsOverride } from './scribeText'
import { ScribePanel } from './ScribePanel'

const SECTIONS = ['subjective', 'objective', 'assessment', 'plan'] as const

export function EncounterScreen({
  encounterId,
  patientId,
  onBack,
}: {
  encounterId: string
  patientId: string
  onBack: () => void
}) {
  const t = useT()
  const chartQuery = useIpcQuery('patientChart', { id: patientId })
  const viewQuery = useIpcQuery('encounterView', { id: encounterId })
  const chart = chartQuery.data ?? null
  const view = viewQuery.data ?? null
  const [soap, setSoap] = useState<SoapInput | null>(null)
  const [dirty, setDirty] = useState(false)
  const [saved, setSaved] = useState(false)
  // Every act on the encounter, one at a time; the last refusal shows until the next act.
  const { run: act, error: refused } = useActions()
  const error = chartQuery.error ?? viewQuery.error ?? refused

  // The editor starts from the record, and follows it until edited here.
  const shownSoap = dirty && soap ? soap : (view?.encounter.soap ?? null)

  const saveSoap = () => {
    if (!shownSoap) return
    void act(() => api.saveSoap({ encounter_id: encounterId, soap: shownSoap })).then((done) => {
      if (!done) return
      setDirty(false)
      setSaved(true)
    })
  }
  const onEditorKey = (event: KeyboardEvent) => {
    if (event.ctrlKey && event.key.toLowerCase() === 's') {
      event.preventDefault()
      saveSoap()
    }
  }

  if (!chart || !view || !shownSoap) {
    return error ? <ErrorText error={error} /> : <p role="status">{t('app.loading')}</p>
  }
  const { patient } = chart
  const signed = view.encounter.signed
  return (
    <div className="exam-layout" data-testid="encounter" data-encounter-id={encounterId}>
      <aside className="chart" aria-label={t('exam.chart')}>
        <button className="link" onClick={onBack}>
          ← {t('exam.back')}
        </button>
        <h2 data-testid="chart-patient">{patient.name}</h2>
        {patient.number && (
          <p className="patient-number" data-testid="patient-number">
            {t('patient.number')}: {patient.number}
          </p>
        )}
        <p className="muted">
          {t(`species.${patient.species}` as MessageKey)}
          {patient.breed ? `, ${patient.breed}` : ''}
          {patient.date_of_birth ? ` · ${patient.date_of_birth}` : ''} · {patient.owners.map((o) => o.name).join(', ')}
        </p>
        {(patient.alerts || patient.allergies) && (
          <div className="alerts" role="note" data-testid="chart-alerts">
            {patient.alerts && (
              <p>
                <strong>{t('patient.alerts')}:</strong> {patient.alerts}
              </p>
            )}
            {patient.allergies && (
              <p>
                <strong>{t('patient.allergies')}:</strong> {patient.allergies}
              </p>
            )}
          </div>
        )}
        <h3>{t('exam.weight')}</h3>
        <WeightChart weights={chart.weights} />
        <h3>{t('exam.timeline')}</h3>
        <ul className="timeline" data-testid="timeline">
          {chart.timeline.map((e) => (
            <li key={e.id} className={e.id === encounterId ? 'current' : undefined}>
              {e.started_at.slice(0, 10)} · {e.signed ? t('exam.signed') : t('exam.draft')}
            </li>
          ))}
        </ul>
        {chart.prescriptions && (
          <>
            <h3>{t('exam.prescriptions')}</h3>
            <ul className="timeline" data-testid="prescriptions">
              {chart.prescriptions.length === 0 && <li className="muted">—</li>}
              {chart.prescriptions.map((p) => (
                <li key={p.id}>
                  <strong>{p.drug}</strong> {p.dose} {p.unit} {p.route}, {p.frequency}, {p.duration_days} d
                  {p.status !== 'active' ? ` (${p.status})` : ''}
                </li>
              ))}
            </ul>
          </>
        )}
      </aside>
      <section className="exam-main">
        {error && <ErrorText error={error} />}
        {signed === null && <ScribePanel encounterId={encounterId} />}
        {view.drafts.map((draft) => (
          <DraftReview key={draft.id} draft={draft} signed={signed !== null} act={act} />
        ))}
        <form
          className="soap"
          aria-label={t('exam.soap')}
          onKeyDown={onEditorKey}
          onSubmit={(e: FormEvent) => {
            e.preventDefault()
            saveSoap()
          }}
        >
          <h2>{t('exam.soap')}</h2>
          {SECTIONS.map((section) => (
            <div className="field" key={section}>
              <label htmlFor={`soap-${section}`}>{t(`soap.${section}` as MessageKey)}</label>
              <textarea
                id={`soap-${section}`}
                rows={3}
                readOnly={signed !== null}
                value={shownSoap[section] ?? ''}
                onChange={(e) => {
                  setSoap({ ...shownSoap, [section]: e.target.value === '' ? null : e.target.value })
                  setDirty(true)
                  setSaved(false)
                }}
              />
            </div>
          ))}
          {signed === null && (
            <div className="actions">
              <button type="submit" className="primary" disabled={!dirty} data-testid="save-soap">
                {t('form.save')}
              </button>
              {saved && <span role="status">{t('clients.saved')}</span>}
            </div>
          )}
        </form>
        <Findings view={view} />
        {view.conflicts.length > 0 && (
          <section className="panel" data-testid="conflicts">
            <h3>{t('exam.conflicts')}</h3>
            {view.conflicts.map((c) => (
              <div key={`${c.row_id}-${c.column}-${c.loser_hlc}`} className="conflict">
                <p>
                  <strong>{t(`soap.${c.column}` as MessageKey)}:</strong> {c.other_value}
                </p>
                <div className="actions">
                  <button onClick={() => void act(() => api.resolveConflict({ row_id: c.row_id, column: c.column, loser_hlc: c.loser_hlc, resolution: 'keep_visible' }))}>
                    {t('exam.keep_shown')}
                  </button>
                  <button
                    onClick={() =>
                      void act(() =>
                        api.resolveConflict({
                          row_id: c.row_id,
                          column: c.column,
                          loser_hlc: c.loser_hlc,
                          resolution: signed ? 'make_addendum' : 'take_other',
                        }),
                      )
                    }
                  >
                    {signed ? t('exam.as_addendum') : t('exam.take_other')}
                  </button>
                </div>
              </div>
            ))}
          </section>
        )}
        {signed === null && <VitalsForm encounterId={encounterId} act={act} />}
        <PrescribeForm encounterId={encounterId} act={act} />
        {signed === null ? (
          <div className="actions">
            <button
              className="primary"
              data-testid="sign"
              disabled={dirty}
              onClick={() => void act(() => api.signEncounter({ id: encounterId }))}
            >
              {t('exam.sign')}
            </button>
          </div>
        ) : (
          <Signed view={view} act={act} encounterId={encounterId} />
        )}
      </section>
    </div>
  )
}

function Findings({ view }: { view: EncounterView }) {
  const t = useT()
  const { vitals, diagnoses } = view.encounter
  if (vitals.length === 0 && diagnoses.length === 0) return null
  return (
    <section className="panel" data-testid="findings">
      {vitals.length > 0 && (
        <ul>
          {vitals.map((v, i) => (
            <li key={i}>
              {[
                v.weight_kg !== null ? t('scribe.item.weight', { kg: v.weight_kg }) : null,
                v.temperature_c !== null ? t('scribe.item.temperature', { celsius: v.temperature_c }) : null,
                v.heart_rate !== null ? t('scribe.item.heart_rate', { rate: v.heart_rate }) : null,
                v.respiratory_rate !== null ? t('scribe.item.respiratory_rate', { rate: v.respiratory_rate }) : null,
              ]
                .filter(Boolean)
                .join(' · ')}
            </li>
          ))}
        </ul>
      )}
      {diagnoses.length > 0 && (
        <ul>
          {diagnoses.map(([id, name, certainty]) => (
            <li key={id}>
              {name} <span className="muted">({certainty})</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function DraftReview({
  draft,
  signed,
  act,
}: {
  draft: DraftView
  signed: boolean
  act: (work: () => Promise<unknown>) => Promise<unknown>
}) {
  const t = useT()
  const pending = draft.items.filter((i) => i.status === 'pending')
  const blocked = pending.some((i) => needsOverride(i.flags))
  return (
    <section className="panel draft" data-testid="draft" aria-label={t('scribe.draft')}>
      <h3>
        {t('scribe.draft')} <span className="muted">v{draft.transcript_version}</span>
      </h3>
      <p className="muted model">
        {t('scribe.model', { file: draft.model_file, sha: draft.model_sha256.slice(0, 12) })}
      </p>
      <ul className="draft-items">
        {draft.items.map((item) => (
          <DraftItemRow key={item.id} item={item} segments={draft.segments} signed={signed} act={act} />
        ))}
      </ul>
      {!signed && pending.length > 0 && (
        <button
          data-testid="approve-all"
          disabled={blocked}
          title={blocked ? t('scribe.approve_all_blocked') : undefined}
          onClick={() => void act(() => api.approveDraft({ id: draft.id }))}
        >
          {t('scribe.approve_all')}
        </button>
      )}
    </section>
  )
}

function DraftItemRow({
  item,
  segments,
  signed,
  act,
}: {
  item: DraftItemView
  segments: DraftView['segments']
  signed: boolean
  act: (work: () => Promise<unknown>) => Promise<unknown>
}) {
  const t = useT()
  const [reason, setReason] = useState('')
  const [editing, setEditing] = useState<string | null>(null)
  const flagged = needsOverride(item.flags)
  const segment = segments[item.evidence.segment]
  const decide = (decision: 'approve' | 'reject' | 'edit', edited?: Item) =>
    act(() =>
      api.decideDraftItem({
        item_id: item.id,
        decision,
        item: edited,
        reason: reason.trim() || undefined,
        settle: item.status === 'conflict',
      }),
    )
  const open = item.status === 'pending' || item.status === 'conflict'
  return (
    <li className={`draft-item status-${item.status}`} data-item-id={item.id} data-kind={item.item.kind} data-status={item.status}>
      <div className="draft-what">
        <strong>{describeItem(item.item, t)}</strong>
        <span className="draft-status">{t(`scribe.status.${item.status}` as MessageKey)}</span>
      </div>
      <blockquote className="evidence" title={segment?.text}>
        “{item.evidence.quote}” <span className="muted">{audioTime(item.evidence.start_ms)}–{audioTime(item.evidence.end_ms)}</span>
      </blockquote>
      {item.flags.map((f, i) => (
        <p key={i} className={f.flag === 'dose_out_of_range' ? 'flag danger' : 'flag'} role={f.flag === 'dose_out_of_range' ? 'alert' : undefined}>
          {describeFlag(f, t)}
        </p>
      ))}
      {open && !signed && (
        <div className="actions">
          {flagged && (
            <input
              aria-label={t('scribe.override_reason')}
              placeholder={t('scribe.override_reason')}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          )}
          <button data-action="approve" disabled={flagged && reason.trim() === ''} onClick={() => void decide('approve')}>
            {t('scribe.approve')}
          </button>
          <button data-action="edit" onClick={() => setEditing(JSON.stringify(item.item))}>
            {t('scribe.edit')}
          </button>
          <button data-action="reject" onClick={() => void decide('reject')}>
            {t('scribe.reject')}
          </button>
        </div>
      )}
      {editing !== null && (
        <div className="actions">
          <textarea aria-label={t('scribe.edit')} value={editing} rows={2} onChange={(e) => setEditing(e.target.value)} />
          <button
            onClick={() => {
              try {
                void decide('edit', JSON.parse(editing) as Item)
                setEditing(null)
              } catch {
                // Left open: the text is not an item yet.
              }
            }}
          >
            {t('scribe.approve_edited')}
          </button>
        </div>
      )}
      {item.decisions.length > 0 && (
        <ul className="decisions muted">
          {item.decisions.map((d, i) => (
            <li key={i}>
              {t(`scribe.status.${d.decision}` as MessageKey)} · {d.decided_at.slice(0, 16).replace('T', ' ')}
              {d.reason ? ` · ${d.reason}` : ''}
            </li>
          ))}
        </ul>
      )}
    </li>
  )
}

function Signed({
  view,
  act,
  encounterId,
}: {
  view: EncounterView
  act: (work: () => Promise<unknown>) => Promise<unknown>
  encounterId: string
}) {
  const t = useT()
  const [text, setText] = useState('')
  const [discharge, setDischarge] = useState('')
  const [summary, setSummary] = useState<string | null>(null)
  const signature = view.encounter.signed
  if (!signature) return null
  return (
    <section className="panel" data-testid="signed">
      <p>
        <strong>{t('exam.signed')}</strong> {signature.signed_at.slice(0, 16).replace('T', ' ')} ·{' '}
        <span className="muted">{signature.content_hash.slice(0, 16)}</span>
      </p>
      <h3>{t('exam.addenda')}</h3>
      <ul data-testid="addenda">
        {view.encounter.addenda.map((a) => (
          <li key={a.id}>
            {a.created_at.slice(0, 16).replace('T', ' ')}: {a.text}
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void act(() => api.addAddendum({ encounter_id: encounterId, text })).then(() => setText(''))
        }}
      >
        <label htmlFor="addendum">{t('exam.add_addendum')}</label>
        <textarea id="addendum" rows={2} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={text.trim() === ''}>
          {t('exam.add_addendum')}
        </button>
      </form>
      <form
        data-testid="summary-form"
        onSubmit={(e) => {
          e.preventDefault()
          void act(async () => setSummary((await api.visitSummaryPdf({ encounter_id: encounterId, discharge })).path))
        }}
      >
        <label htmlFor="discharge">{t('exam.discharge')}</label>
        <textarea id="discharge" rows={3} value={discharge} onChange={(e) => setDischarge(e.target.value)} />
        <button type="submit" disabled={discharge.trim() === ''}>
          {t('exam.save_summary')}
        </button>
      </form>
      {summary && (
        <p role="status" data-testid="saved-summary" data-path={summary}>
          {t('billing.saved', { path: summary })}
        </p>
      )}
    </section>
  )
}

function WeightChart({ weights }: { weights: PatientChart['weights'] }) {
  const t = useT()
  if (weights.length === 0) return <p className="muted">—</p>
  const width = 240
  const height = 80
  const kgs = weights.map((w) => w.kg)
  const min = Math.min(...kgs)
  const max = Math.max(...kgs)
  const span = max - min || 1
  const points = weights
    .map((w, i) => {
      const x = weights.length === 1 ? width / 2 : (i / (weights.length - 1)) * (width - 10) + 5
      const y = height - 5 - ((w.kg - min) / span) * (height - 10)
      return `${x.toFixed(1)},${y.toFixed(1)}`
    })
    .join(' ')
  const last = weights[weights.length - 1]
  return (
    <figure className="weight-chart" data-testid="weight-chart">
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={t('exam.weight')}>
        <polyline points={points} fill="none" stroke="currentColor" strokeWidth="2" />
        {points.split(' ').map((p) => {
          const [x, y] = p.split(',')
          return <circle key={p} cx={x} cy={y} r="3" fill="currentColor" />
        })}
      </svg>
      {last && (
        <figcaption>
          {t('scribe.item.weight', { kg: last.kg })} · {last.measured_at.slice(0, 10)}
        </figcaption>
      )}
    </figure>
  )
}

function VitalsForm({
  encounterId,
  act,
}: {
  encounterId: string
  act: (work: () => Promise<unknown>) => Promise<unknown>
}) {
  const t = useT()
  const [fields, setFields] = useState({ weight: '', temperature: '', heart: '', breathing: '' })
  const number = (v: string) => (v.trim() === '' ? null : Number(v.replace(',', '.')))
  const whole = (v: string) => (v.trim() === '' ? null : Math.round(Number(v)))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void act(() =>
      api.recordVitals({
        encounter_id: encounterId,
        vitals: {
          weight_kg: number(fields.weight),
          temperature_c: number(fields.temperature),
          heart_rate: whole(fields.heart),
          respiratory_rate: whole(fields.breathing),
        },
      }),
    ).then(() => setFields({ weight: '', temperature: '', heart: '', breathing: '' }))
  }
  const input = (key: keyof typeof fields, label: MessageKey) => (
    <div className="field">
      <label htmlFor={`vitals-${key}`}>{t(label)}</label>
      <input
        id={`vitals-${key}`}
        inputMode="decimal"
        value={fields[key]}
        onChange={(e) => setFields((f) => ({ ...f, [key]: e.target.value }))}
      />
    </div>
  )
  return (
    <form className="panel vitals" onSubmit={submit} aria-label={t('exam.vitals')} data-testid="vitals-form">
      <h3>{t('exam.vitals')}</h3>
      <div className="grid">
        {input('weight', 'exam.weight_kg')}
        {input('temperature', 'exam.temperature_c')}
        {input('heart', 'exam.heart_rate')}
        {input('breathing', 'exam.respiratory_rate')}
      </div>
      <button type="submit" disabled={Object.values(fields).every((v) => v.trim() === '')}>
        {t('exam.record_vitals')}
      </button>
    </form>
  )
}

/** A prescription written by hand (the scribe's approvals write them too). */
function PrescribeForm({
  encounterId,
  act,
}: {
  encounterId: string
  act: (work: () => Promise<unknown>) => Promise<unknown>
}) {
  const t = useT()
  const empty = { drug: '', dose: '', unit: 'mg', route: 'oral', frequency: '', days: '', quantity: '', instructions: '' }
  const [form, setForm] = useState(empty)
  const known = useIpcQuery('prescriptionOptions', undefined).data
  const options = known?.units && known.routes ? known : { units: ['mg'], routes: ['oral'] }
  const set = (key: keyof typeof empty) => (value: string) => setForm((f) => ({ ...f, [key]: value }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const days = Math.round(Number(form.days))
    void act(() =>
      api.prescribe({
        encounter_id: encounterId,
        drug: form.drug,
        dose: Number(form.dose.replace(',', '.')),
        unit: form.unit,
        route: form.route,
        frequency: form.frequency,
        duration_days: days,
        quantity: form.quantity.trim() === '' ? days : Number(form.quantity.replace(',', '.')),
        refills: 0,
        instructions: form.instructions.trim() || undefined,
      }),
    ).then(() => setForm(empty))
  }
  const text = (key: keyof typeof empty, label: MessageKey) => (
    <div className="field">
      <label htmlFor={`rx-${key}`}>{t(label)}</label>
      <input id={`rx-${key}`} value={form[key]} onChange={(e) => set(key)(e.target.value)} />
    </div>
  )
  const choice = (key: 'unit' | 'route', label: MessageKey, values: string[]) => (
    <div className="field">
      <label htmlFor={`rx-${key}`}>{t(label)}</label>
      <select id={`rx-${key}`} value={form[key]} onChange={(e) => set(key)(e.target.value)}>
        {values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </div>
  )
  return (
    <form className="panel vitals" onSubmit={submit} aria-label={t('exam.prescribe')} data-testid="prescribe-form">
      <h3>{t('exam.prescribe')}</h3>
      <div className="grid">
        {text('drug', 'exam.rx_drug')}
        {text('dose', 'exam.rx_dose')}
        {choice('unit', 'exam.rx_unit', options.units)}
        {choice('route', 'exam.rx_route', options.routes)}
        {text('frequency', 'exam.rx_frequency')}
        {text('days', 'exam.rx_days')}
        {text('quantity', 'exam.rx_quantity')}
        {text('instructions', 'exam.rx_instructions')}
      </div>
      <button type="submit" disabled={form.drug.trim() === '' || form.dose.trim() === ''}>
        {t('exam.prescribe')}
      </button>
    </form>
  )
}
