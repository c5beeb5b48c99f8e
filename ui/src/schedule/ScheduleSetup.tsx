// Setting the diary up (in Settings; core lets admins do it, and the front desk block
// time): rooms and equipment as bookable resources; appointment types with their
// length, colour and the rooms and equipment they hold; each vet's working hours per
// weekday (typed as `09:00-12:30, 13:30-18:00`, empty for a day off); the clinic's
// booking pattern (weekday spans booked as one type, with one vet or any); and blocked
// time for a vet, a room or piece of equipment, or the whole clinic. Core checks every field
// and its refusal is shown beside the form that caused it.
import { useState, type FormEvent } from 'react'
import type { AppointmentType, ScheduleSetupView } from '../ipc/bindings'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { ErrorText } from '../shared/forms'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'
import { isoDay } from './dayBoard'
import { WEEKDAYS, spansOf, textOf } from './hours'
import { KINDS } from './kinds'

const BLOCK_KINDS = ['holiday', 'day_off', 'meeting', 'surgery', 'out_of_service', 'other'] as const

export function ScheduleSetup() {
  const t = useT()
  const setup = useIpcQuery('scheduleSetup', undefined)
  return (
    <section className="panel schedule-setup" aria-labelledby="schedule-setup-title" data-testid="schedule-setup">
      <h2 id="schedule-setup-title">{t('setup.title')}</h2>
      {setup.error && <ErrorText error={setup.error} />}
      {setup.data && (
        <>
          <Resources setup={setup.data} />
          <Types setup={setup.data} />
          <Hours setup={setup.data} />
          <Pattern setup={setup.data} />
          <BlockTime setup={setup.data} />
        </>
      )}
    </section>
  )
}

function Resources({ setup }: { setup: ScheduleSetupView }) {
  const t = useT()
  const [name, setName] = useState('')
  const [kind, setKind] = useState('')
  const [category, setCategory] = useState('room')
  const add = useIpcMutation('resourceAdd')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    add.mutate(
      { name, kind, category },
      {
        onSuccess: () => {
          setName('')
          setKind('')
        },
      },
    )
  }
  return (
    <div className="setup-part">
      <h3>{t('setup.resources')}</h3>
      <ul data-testid="resources">
        {setup.resources.map((r) => (
          <li key={r.id} data-resource={r.name}>
            {r.name} <span className="muted">{t(`setup.category.${r.category}` as MessageKey)} · {r.kind}</span>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit} aria-label={t('setup.add_resource')} data-testid="resource-form">
        <label>
          {t('setup.name')}
          <input value={name} onChange={(e) => setName(e.target.value)} data-testid="resource-name" />
        </label>
        <label>
          {t('setup.kind')}
          <input value={kind} placeholder={t('setup.kind_example')} onChange={(e) => setKind(e.target.value)} data-testid="resource-kind" />
        </label>
        <label>
          {t('setup.category')}
          <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="resource-category">
            <option value="room">{t('setup.category.room')}</option>
            <option value="equipment">{t('setup.category.equipment')}</option>
          </select>
        </label>
        <button type="submit" disabled={add.isPending}>
          {t('setup.add_resource')}
        </button>
        {add.error && <ErrorText error={add.error} />}
      </form>
    </div>
  )
}

interface TypeDraft {
  id?: string
  name: string
  minutes: string
  colour: string
  kind: string
  resources: string[]
}

const NEW_TYPE: TypeDraft = { name: '', minutes: '30', colour: '#3a7bd5', kind: 'consultation', resources: [] }

function draftOf(type: AppointmentType): TypeDraft {
  return { id: type.id, name: type.name, minutes: String(type.minutes), colour: type.colour, kind: type.kind, resources: type.resources }
}

function Types({ setup }: { setup: ScheduleSetupView }) {
  const t = useT()
  const [draft, setDraft] = useState<TypeDraft>(NEW_TYPE)
  const save = useIpcMutation('appointmentTypeSave')
  const names = new Map(setup.resources.map((r) => [r.id, r.name]))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save.mutate(draft, { onSuccess: () => setDraft(NEW_TYPE) })
  }
  const toggle = (id: string, on: boolean) =>
    setDraft((d) => ({ ...d, resources: on ? [...d.resources, id] : d.resources.filter((r) => r !== id) }))
  return (
    <div className="setup-part">
      <h3>{t('setup.types')}</h3>
      <ul data-testid="types">
        {setup.types.map((type) => (
          <li key={type.id} data-type={type.name}>
            <span className="swatch" style={{ background: type.colour }} aria-hidden="true" /> {type.name}{' '}
            <span className="muted">
              {t('board.minutes', { count: type.minutes })} · {t(`kind.${type.kind}` as MessageKey)}
              {type.resources.length > 0 && ` · ${t('setup.needs')}: ${type.resources.map((r) => names.get(r) ?? '?').join(', ')}`}
            </span>{' '}
            <button type="button" className="link" onClick={() => setDraft(draftOf(type))}>
              {t('setup.edit')}
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit} aria-label={t('setup.save_type')} data-testid="type-form">
        <label>
          {t('setup.name')}
          <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="type-name" />
        </label>
        <label>
          {t('setup.minutes')}
          <input
            value={draft.minutes}
            inputMode="numeric"
            size={4}
            onChange={(e) => setDraft({ ...draft, minutes: e.target.value })}
            data-testid="type-minutes"
          />
        </label>
        <label>
          {t('setup.colour')}
          <input type="color" value={draft.colour} onChange={(e) => setDraft({ ...draft, colour: e.target.value })} data-testid="type-colour" />
        </label>
        <label>
          {t('board.kind')}
          <select value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value })} data-testid="type-kind">
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kind.${k}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>{t('setup.needs')}</legend>
          {setup.resources.map((r) => (
            <label key={r.id} className="check">
              <input
                type="checkbox"
                checked={draft.resources.includes(r.id)}
                onChange={(e) => toggle(r.id, e.target.checked)}
                data-needs={r.name}
              />
              {r.name}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={save.isPending} data-testid="save-type">
          {draft.id ? t('setup.save_type') : t('setup.add_type')}
        </button>
        {save.error && <ErrorText error={save.error} />}
      </form>
    </div>
  )
}

function Hours({ setup }: { setup: ScheduleSetupView }) {
  const t = useT()
  const [vet, setVet] = useState(setup.vets[0]?.id ?? '')
  const [drafts, setDrafts] = useState<Record<string, string>>({})
  const [unreadable, setUnreadable] = useState<number | null>(null)
  const save = useIpcMutation('workHoursSet')
  const key = (day: number) => `${vet}:${day}`
  const saveDay = (day: number) => {
    const spans = spansOf(drafts[key(day)] ?? textOf(setup.hours, vet, day))
    if (spans === null) {
      setUnreadable(day)
      return
    }
    setUnreadable(null)
    save.mutate(
      { staff_id: vet, weekday: day, spans },
      {
        onSuccess: () =>
          setDrafts((d) => {
            const next = { ...d }
            delete next[key(day)]
            return next
          }),
      },
    )
  }
  return (
    <div className="setup-part" data-testid="hours">
      <h3>{t('setup.hours')}</h3>
      <label>
        {t('board.vet')}
        <select value={vet} onChange={(e) => setVet(e.target.value)} data-testid="hours-vet">
          {setup.vets.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
            </option>
          ))}
        </select>
      </label>
      <p className="muted">{t('setup.hours_hint')}</p>
      <table className="table">
        <tbody>
          {WEEKDAYS.map((day) => (
            <tr key={day}>
              <th scope="row">
                <label htmlFor={`hours-${day}`}>{t(`weekday.${day}` as MessageKey)}</label>
              </th>
              <td>
                <input
                  id={`hours-${day}`}
                  value={drafts[key(day)] ?? textOf(setup.hours, vet, day)}
                  placeholder={t('setup.day_off')}
                  onChange={(e) => setDrafts((d) => ({ ...d, [key(day)]: e.target.value }))}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault()
                      saveDay(day)
                    }
                  }}
                  data-testid={`hours-${day}`}
                />
              </td>
              <td>
                <button type="button" onClick={() => saveDay(day)} disabled={save.isPending || !vet} data-testid={`save-hours-${day}`}>
                  {t('setup.save')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {unreadable !== null && (
        <p role="alert" className="error-message">
          {t('setup.hours_unreadable', { day: t(`weekday.${unreadable}` as MessageKey) })}
        </p>
      )}
      {save.error && <ErrorText error={save.error} />}
    </div>
  )
}

/** The clinic's booking pattern: weekday spans booked as one type, with one vet or any. */
function Pattern({ setup }: { setup: ScheduleSetupView }) {
  const t = useT()
  const [form, setForm] = useState({ weekday: 1, starts: '09:00', ends: '12:00', type: setup.types[0]?.id ?? '', vet: '' })
  const add = useIpcMutation('slotTemplateAdd')
  const remove = useIpcMutation('slotTemplateRemove')
  const typeName = new Map(setup.types.map((x) => [x.id, x.name]))
  const vetName = new Map(setup.vets.map((v) => [v.id, v.name]))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    add.mutate({ weekday: form.weekday, starts: form.starts, ends: form.ends, type_id: form.type, staff_id: form.vet || undefined })
  }
  return (
    <div className="setup-part">
      <h3>{t('setup.pattern')}</h3>
      <ul data-testid="templates">
        {setup.templates.map((slot) => (
          <li key={slot.id} data-template={typeName.get(slot.type_id)}>
            {t(`weekday.${slot.weekday}` as MessageKey)} {slot.starts}–{slot.ends}: {typeName.get(slot.type_id) ?? '?'} ·{' '}
            {slot.staff_id ? (vetName.get(slot.staff_id) ?? '?') : t('setup.any_vet')}{' '}
            <button type="button" className="link" onClick={() => remove.mutate({ id: slot.id })}>
              {t('counter.remove', { name: typeName.get(slot.type_id) ?? '' })}
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit} aria-label={t('setup.pattern')} data-testid="template-form">
        <label>
          {t('setup.weekday')}
          <select value={form.weekday} onChange={(e) => setForm({ ...form, weekday: Number(e.target.value) })} data-testid="template-weekday">
            {WEEKDAYS.map((day) => (
              <option key={day} value={day}>
                {t(`weekday.${day}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('setup.block_from')}
          <input value={form.starts} size={5} onChange={(e) => setForm({ ...form, starts: e.target.value })} data-testid="template-starts" />
        </label>
        <label>
          {t('setup.block_until')}
          <input value={form.ends} size={5} onChange={(e) => setForm({ ...form, ends: e.target.value })} data-testid="template-ends" />
        </label>
        <label>
          {t('board.type')}
          <select value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })} data-testid="template-type">
            {setup.types.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('board.vet')}
          <select value={form.vet} onChange={(e) => setForm({ ...form, vet: e.target.value })} data-testid="template-vet">
            <option value="">{t('setup.any_vet')}</option>
            {setup.vets.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={add.isPending || !form.type}>
          {t('setup.add_pattern')}
        </button>
        {(add.error ?? remove.error) && <ErrorText error={(add.error ?? remove.error)!} />}
      </form>
    </div>
  )
}

function BlockTime({ setup }: { setup: ScheduleSetupView }) {
  const t = useT()
  const [form, setForm] = useState(() => ({
    day: isoDay(new Date()),
    from: '12:00',
    until: '13:00',
    who: '',
    kind: 'meeting',
    reason: '',
  }))
  const add = useIpcMutation('blockAdd')
  const [done, setDone] = useState(false)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setDone(false)
    const [whoKind, whoId] = form.who.split(':')
    const at = (time: string) => {
      const instant = new Date(`${form.day}T${time}`)
      return Number.isNaN(instant.getTime()) ? `${form.day} ${time}` : instant.toISOString()
    }
    add.mutate(
      {
        staff_id: whoKind === 'staff' ? whoId : undefined,
        resource_id: whoKind === 'resource' ? whoId : undefined,
        starts_at: at(form.from),
        ends_at: at(form.until),
        kind: form.kind,
        reason: form.reason,
      },
      { onSuccess: () => setDone(true) },
    )
  }
  return (
    <div className="setup-part">
      <h3>{t('setup.block')}</h3>
      <form className="inline-form" onSubmit={submit} aria-label={t('setup.block')} data-testid="block-form">
        <label>
          {t('setup.block_day')}
          <input type="date" value={form.day} onChange={(e) => setForm({ ...form, day: e.target.value })} data-testid="block-day" />
        </label>
        <label>
          {t('setup.block_from')}
          <input value={form.from} size={5} onChange={(e) => setForm({ ...form, from: e.target.value })} data-testid="block-from" />
        </label>
        <label>
          {t('setup.block_until')}
          <input value={form.until} size={5} onChange={(e) => setForm({ ...form, until: e.target.value })} data-testid="block-until" />
        </label>
        <label>
          {t('setup.block_who')}
          <select value={form.who} onChange={(e) => setForm({ ...form, who: e.target.value })} data-testid="block-who">
            <option value="">{t('setup.whole_clinic')}</option>
            {setup.vets.map((v) => (
              <option key={v.id} value={`staff:${v.id}`}>
                {v.name}
              </option>
            ))}
            {setup.resources.map((r) => (
              <option key={r.id} value={`resource:${r.id}`}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('board.kind')}
          <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })} data-testid="block-kind">
            {BLOCK_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`block.${k}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('board.reason')}
          <input value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} data-testid="block-reason" />
        </label>
        <button type="submit" disabled={add.isPending}>
          {t('setup.block')}
        </button>
        {done && <p role="status">{t('setup.blocked')}</p>}
        {add.error && <ErrorText error={add.error} />}
      </form>
    </div>
  )
}
