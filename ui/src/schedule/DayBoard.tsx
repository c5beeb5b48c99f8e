// Today: the day board of appointments in columns by vet or by room and equipment,
// 15-minute rows, each appointment in its type's colour. A vet's hours outside work are
// greyed and blocked time (meetings, holidays, equipment out of service) is marked.
// Click an empty slot (or Enter on it) to book there — by the clinic's appointment
// type (its length and the rooms and equipment it holds), once or every so many weeks;
// click an appointment to check it in, start the exam, mark a no-show or cancel; drag
// it to another slot or column to move it, drag its lower edge to resize; from the
// keyboard, Alt+↑/↓ moves it and Alt+Shift+↑/↓ resizes it. A clash, a closed hour or
// blocked time is refused by core with the reason, and "book anyway" forces it
// (audited); double bookings made by two devices offline are flagged. The waitlist
// sits beside the board.
import { useMemo, useState, type FormEvent, type KeyboardEvent, type PointerEvent } from 'react'
import { api } from '../ipc/api'
import type { Appointment, DayBoard as Board, Hit, Status } from '../ipc/bindings'
import {
  SLOT_MINUTES,
  clockTime,
  blocksOf,
  columnsOf,
  dayBounds,
  holdsSlot,
  moved,
  movedTo,
  nextStatuses,
  offHours,
  placement,
  resized,
  slots,
  timeOnDay,
  visibleRange,
  type BoardMode,
} from './dayBoard'
import { ErrorText } from '../shared/forms'
import { KINDS } from './kinds'
import { useFailure } from '../ipc/failure'
import { useActions, useIpcMutation, useIpcQuery, useWrite } from '../ipc/query'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'

const ROW_PX = 22

type Panel =
  | { kind: 'none' }
  | { kind: 'appointment'; id: string }
  | { kind: 'book'; column: string; start: number; patient?: ChosenPatient }

/** The patient a booking is for; `waitlistId` when booked from the waitlist. */
interface ChosenPatient {
  id: string
  name: string
  clientId: string
  waitlistId?: string
}

export function DayBoard() {
  const t = useT()
  const [day, setDay] = useState(() => new Date())
  const [mode, setMode] = useState<BoardMode>('vet')
  const [panel, setPanel] = useState<Panel>({ kind: 'none' })
  const { from, to } = useMemo(() => dayBounds(day), [day])
  const board = useIpcQuery('dayBoard', { from: from.toISOString(), to: to.toISOString() })
  // Moves, resizes, status changes and waitlist removals: one at a time, the last
  // refusal shown until the next change.
  const { run, error: refused } = useActions()
  const error = board.error ?? refused
  const data = board.data ?? null
  const shown = useMemo(() => (data ? data.appointments.filter((a) => holdsSlot(a.status)) : []), [data])
  const range = useMemo(() => visibleRange(from, shown), [from, shown])
  const rows = useMemo(() => slots(range), [range])
  const clashing = useMemo(() => new Set(data?.clashes.flatMap((c) => [c.first, c.second]) ?? []), [data])
  const columns: { id: string; name: string }[] = data
    ? mode === 'vet'
      ? data.vets.map((v) => ({ id: v.id, name: v.name }))
      : [...data.resources.map((r) => ({ id: r.id, name: r.name })), { id: '', name: t('board.no_room') }]
    : []

  /** Moves or resizes `a` to `times` (and column), through core's clash check. */
  const reschedule = async (a: Appointment, times: { starts_at_ms: number; ends_at_ms: number }, column?: string) => {
    const vet = mode === 'vet' && column !== undefined ? column : a.vet_id
    const room = mode === 'room' && column !== undefined ? column || null : a.room_id
    await run(() =>
      api.book({
        id: a.id,
        booking: {
          patient_id: a.patient_id,
          client_id: a.client_id,
          vet_id: vet,
          room_id: room ?? undefined,
          starts_at: new Date(times.starts_at_ms).toISOString(),
          ends_at: new Date(times.ends_at_ms).toISOString(),
          kind: a.kind,
          reason: a.reason ?? undefined,
          force: false,
          type_id: a.type_id ?? undefined,
        },
      }),
    )
  }

  const onBlockKey = (event: KeyboardEvent, a: Appointment) => {
    if (!event.altKey || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp')) return
    event.preventDefault()
    const step = event.key === 'ArrowDown' ? 1 : -1
    void reschedule(a, event.shiftKey ? resized(a, step) : moved(a, step))
  }

  const selected = panel.kind === 'appointment' ? shownOrAll(data, panel.id) : null
  const shift = (days: number) => {
    setDay((d) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + days))
    setPanel({ kind: 'none' })
  }

  return (
    <div className="board-layout">
      <div className="board-toolbar">
        <button onClick={() => shift(-1)} aria-label={t('board.previous_day')}>
          ←
        </button>
        <strong data-testid="board-day">
          {from.toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' })}
        </strong>
        <button onClick={() => shift(1)} aria-label={t('board.next_day')}>
          →
        </button>
        <button onClick={() => setDay(new Date())}>{t('board.today')}</button>
        <span className="spacer" />
        <label htmlFor="board-mode">{t('board.columns')}</label>
        <select id="board-mode" value={mode} onChange={(e) => setMode(e.target.value as BoardMode)}>
          <option value="vet">{t('board.by_vet')}</option>
          <option value="room">{t('board.by_room')}</option>
        </select>
      </div>
      {error && <ErrorText error={error} />}
      {data && data.clashes.length > 0 && (
        <p className="warning-banner" role="alert" data-testid="clashes">
          {t('board.clashes', { count: data.clashes.length })}
        </p>
      )}
      <div className="board-main">
        <div
          className="board"
          role="grid"
          aria-label={t('board.label')}
          data-testid="day-board"
          style={{ gridTemplateColumns: `4rem repeat(${Math.max(columns.length, 1)}, minmax(9rem, 1fr))` }}
        >
          <div className="board-corner" />
          {columns.map((c) => (
            <div key={c.id || 'none'} className="board-head" role="columnheader">
              {c.name}
            </div>
          ))}
          <div className="board-times" style={{ height: rows.length * ROW_PX }}>
            {rows.map((slot) =>
              new Date(slot).getMinutes() === 0 ? (
                <span key={slot} style={{ top: ((slot - range.start) / (SLOT_MINUTES * 60_000)) * ROW_PX }}>
                  {clockTime(slot)}
                </span>
              ) : null,
            )}
          </div>
          {columns.map((c) => (
            <div
              key={c.id || 'none'}
              className="board-column"
              style={{ height: rows.length * ROW_PX }}
              data-column={c.id}
            >
              {mode === 'vet' &&
                data &&
                offHours(range, data.windows, c.id).map((span) => (
                  <div
                    key={`off-${span.start}`}
                    className="off-hours"
                    aria-hidden="true"
                    data-testid="off-hours"
                    style={{
                      top: ((span.start - range.start) / (SLOT_MINUTES * 60_000)) * ROW_PX,
                      height: ((span.end - span.start) / (SLOT_MINUTES * 60_000)) * ROW_PX,
                    }}
                  />
                ))}
              {mode === 'vet' &&
                data &&
                data.templates
                  .filter((slot) => slot.staff_id === null || slot.staff_id === c.id)
                  .map((slot) => {
                    const type = data.types.find((x) => x.id === slot.type_id)
                    const start = Math.max(slot.starts_at_ms, range.start)
                    const end = Math.min(slot.ends_at_ms, range.end)
                    if (!type || start >= end) return null
                    return (
                      <div
                        key={`${slot.template_id}-${slot.starts_at_ms}`}
                        className="template-band"
                        data-testid="template-band"
                        style={{
                          top: ((start - range.start) / (SLOT_MINUTES * 60_000)) * ROW_PX,
                          height: ((end - start) / (SLOT_MINUTES * 60_000)) * ROW_PX,
                          borderLeftColor: type.colour,
                        }}
                      >
                        {type.name}
                      </div>
                    )
                  })}
              {data &&
                blocksOf(data.blocks, c.id, mode).map((b) => {
                  const start = Math.max(b.starts_at_ms, range.start)
                  const end = Math.min(b.ends_at_ms, range.end)
                  if (start >= end) return null
                  return (
                    <div
                      key={b.id}
                      className="blocked"
                      data-testid="blocked"
                      style={{
                        top: ((start - range.start) / (SLOT_MINUTES * 60_000)) * ROW_PX,
                        height: ((end - start) / (SLOT_MINUTES * 60_000)) * ROW_PX,
                      }}
                    >
                      {t(`block.${b.kind}` as MessageKey)}
                      {b.reason ? `: ${b.reason}` : ''}
                    </div>
                  )
                })}
              {rows.map((slot) => (
                <button
                  key={slot}
                  className="slot"
                  style={{ top: ((slot - range.start) / (SLOT_MINUTES * 60_000)) * ROW_PX, height: ROW_PX }}
                  aria-label={t('board.book_at', { time: clockTime(slot), column: c.name })}
                  data-slot={clockTime(slot)}
                  onClick={() => setPanel({ kind: 'book', column: c.id, start: slot })}
                  onDragOver={(e) => e.preventDefault()}
                  onDrop={(e) => {
                    e.preventDefault()
                    const id = e.dataTransfer.getData('text/plain')
                    const a = shown.find((x) => x.id === id)
                    if (a) void reschedule(a, movedTo(a, slot), c.id)
                  }}
                />
              ))}
              {shown
                .filter((a) => columnsOf(a, mode).includes(c.id))
                .map((a) => (
                  <AppointmentBlock
                    key={a.id}
                    appointment={a}
                    colour={data?.types.find((type) => type.id === a.type_id)?.colour}
                    rangeStart={range.start}
                    clash={clashing.has(a.id)}
                    selected={selected?.id === a.id}
                    onSelect={() => setPanel({ kind: 'appointment', id: a.id })}
                    onKey={(e) => onBlockKey(e, a)}
                    onResize={(rowsBy) => void reschedule(a, resized(a, rowsBy))}
                  />
                ))}
            </div>
          ))}
        </div>
        <aside className="board-side">
          {panel.kind === 'appointment' && selected && (
            <AppointmentPanel
              appointment={selected}
              vetName={data?.vets.find((v) => v.id === selected.vet_id)?.name ?? ''}
              onStatus={(status) => run(() => api.setAppointmentStatus({ id: selected.id, status }))}
            />
          )}
          {panel.kind === 'book' && data && (
            <BookingPanel
              key={`${panel.column}-${panel.start}-${panel.patient?.id ?? ''}`}
              board={data}
              mode={mode}
              column={panel.column}
              start={panel.start}
              day={from}
              patient={panel.patient}
              onBooked={(id) => setPanel({ kind: 'appointment', id })}
              onCancel={() => setPanel({ kind: 'none' })}
            />
          )}
          <Waitlist
            board={data}
            onBook={(w) =>
              setPanel({
                kind: 'book',
                column: mode === 'vet' ? (w.vet_id ?? columns[0]?.id ?? '') : '',
                start: range.start,
                patient: { id: w.patient_id, name: w.patient_name, clientId: w.client_id, waitlistId: w.id },
              })
            }
            onRemove={(id) => run(() => api.waitlistRemove({ id, booked: false }))}
          />
        </aside>
      </div>
    </div>
  )
}

function shownOrAll(data: Board | null, id: string): Appointment | null {
  return data?.appointments.find((a) => a.id === id) ?? null
}

function AppointmentBlock({
  appointment: a,
  colour,
  rangeStart,
  clash,
  selected,
  onSelect,
  onKey,
  onResize,
}: {
  appointment: Appointment
  /** Its type's colour, if it has a type. */
  colour?: string
  rangeStart: number
  clash: boolean
  selected: boolean
  onSelect: () => void
  onKey: (event: KeyboardEvent) => void
  onResize: (rowsBy: number) => void
}) {
  const t = useT()
  const { row, span } = placement(a, rangeStart)
  const [stretch, setStretch] = useState<{ y: number; rows: number } | null>(null)
  const onPointerDown = (e: PointerEvent) => {
    e.stopPropagation()
    e.currentTarget.setPointerCapture(e.pointerId)
    setStretch({ y: e.clientY, rows: 0 })
  }
  const onPointerMove = (e: PointerEvent) => {
    if (stretch) setStretch({ ...stretch, rows: Math.round((e.clientY - stretch.y) / ROW_PX) })
  }
  const onPointerUp = () => {
    if (stretch && stretch.rows !== 0) onResize(stretch.rows)
    setStretch(null)
  }
  const rowsShown = Math.max(1, span + (stretch?.rows ?? 0))
  const classes = ['appointment', `status-${a.status}`, clash ? 'clash' : '', selected ? 'selected' : '']
  return (
    <div
      className={classes.filter(Boolean).join(' ')}
      style={{ top: row * ROW_PX, height: rowsShown * ROW_PX - 2, borderLeftColor: colour }}
      role="button"
      tabIndex={0}
      draggable={!stretch}
      data-appointment-id={a.id}
      data-status={a.status}
      aria-label={t('board.appointment_label', {
        time: clockTime(a.starts_at_ms),
        patient: a.patient_name,
        client: a.client_name,
        status: t(`appointment.${a.status}` as MessageKey),
      })}
      onClick={onSelect}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onSelect()
        onKey(e)
      }}
      onDragStart={(e) => {
        // A press on the lower edge resizes; it must not start a move.
        if ((e.target as HTMLElement).classList.contains('resize-handle') || stretch) {
          e.preventDefault()
          return
        }
        e.dataTransfer.setData('text/plain', a.id)
      }}
    >
      <span className="appointment-time">
        {clockTime(a.starts_at_ms)}–{clockTime(a.ends_at_ms)}
      </span>{' '}
      <strong>{a.patient_name}</strong> <span className="appointment-client">{a.client_name}</span>
      {clash && <span className="clash-badge">{t('board.double_booked')}</span>}
      <span
        className="resize-handle"
        aria-hidden="true"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
      />
    </div>
  )
}

function AppointmentPanel({
  appointment: a,
  vetName,
  onStatus,
}: {
  appointment: Appointment
  vetName: string
  onStatus: (status: Status) => Promise<unknown>
}) {
  const t = useT()
  return (
    <section className="panel" data-testid="appointment-panel" aria-label={a.patient_name}>
      <h2>{a.patient_name}</h2>
      <p>
        {a.client_name} · {clockTime(a.starts_at_ms)}–{clockTime(a.ends_at_ms)} · {vetName}
      </p>
      <p>
        {t(`kind.${a.kind}` as MessageKey)}
        {a.reason ? ` — ${a.reason}` : ''}
      </p>
      <p data-testid="appointment-status">{t(`appointment.${a.status}` as MessageKey)}</p>
      <div className="actions">
        {nextStatuses(a.status).map((next) => (
          <button key={next} data-action={next} onClick={() => void onStatus(next)}>
            {t(`action.${next}` as MessageKey)}
          </button>
        ))}
      </div>
    </section>
  )
}

function BookingPanel({
  board,
  mode,
  column,
  start,
  day,
  patient: chosenPatient,
  onBooked,
  onCancel,
}: {
  board: Board
  mode: BoardMode
  column: string
  start: number
  day: Date
  patient?: ChosenPatient
  onBooked: (id: string) => void
  onCancel: () => void
}) {
  const t = useT()
  const [query, setQuery] = useState('')
  const [patient, setPatient] = useState<ChosenPatient | null>(chosenPatient ?? null)
  const [vet, setVet] = useState(mode === 'vet' ? column : (board.vets[0]?.id ?? ''))
  const [room, setRoom] = useState(mode === 'room' ? column : '')
  const [time, setTime] = useState(clockTime(start))
  // A slot in the clinic's pattern books its type.
  const pattern = board.templates.find(
    (slot) => slot.starts_at_ms <= start && start < slot.ends_at_ms && (slot.staff_id === null || slot.staff_id === vet),
  )
  const patternType = board.types.find((x) => x.id === pattern?.type_id)
  const [minutes, setMinutes] = useState(patternType?.minutes ?? 30)
  const [kind, setKind] = useState<string>(patternType?.kind ?? 'consultation')
  const [typeId, setTypeId] = useState(patternType?.id ?? '')
  const [everyWeeks, setEveryWeeks] = useState(0)
  const [count, setCount] = useState('4')
  const [reason, setReason] = useState('')
  const { error: chooseError, fail } = useFailure()
  const search = useIpcQuery('search', { query, limit: 12 }, { enabled: query.trim() !== '', keepPrevious: true })
  const hits = (search.data ?? []).filter((h) => h.kind === 'patient')

  const choose = async (hit: Hit) => {
    try {
      const detail = await api.patientDetail({ id: hit.id })
      const owner = detail.owners.find((o) => o.primary) ?? detail.owners[0]
      if (owner) setPatient({ id: detail.id, name: detail.name, clientId: owner.client_id })
    } catch (e) {
      fail(e)
    }
  }

  const booking = useWrite(async ({ patient, startsAt, force }: { patient: ChosenPatient; startsAt: number; force: boolean }) => {
    const id = await api.book({
        booking: {
          patient_id: patient.id,
          client_id: patient.clientId,
          vet_id: vet,
          room_id: room || undefined,
          starts_at: new Date(startsAt).toISOString(),
          ends_at: new Date(startsAt + minutes * 60_000).toISOString(),
          kind,
          reason: reason.trim() || undefined,
          force,
          type_id: typeId || undefined,
        },
        repeat: everyWeeks > 0 ? { every_weeks: everyWeeks, count: Number.parseInt(count, 10) || 0 } : undefined,
      })
    if (patient.waitlistId) await api.waitlistRemove({ id: patient.waitlistId, booked: true })
    return id
  })
  const waitlisting = useIpcMutation('waitlistAdd')
  const busy = booking.isPending
  const error = booking.error ?? waitlisting.error ?? chooseError
  const book = (force: boolean) => {
    const startsAt = timeOnDay(day, time)
    if (!patient || startsAt === null) return
    booking.mutate({ patient, startsAt, force }, { onSuccess: onBooked })
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void book(false)
  }
  const timeValid = timeOnDay(day, time) !== null

  return (
    <form className="panel booking" onSubmit={submit} aria-label={t('board.book')} data-testid="booking-form">
      <h2>{t('board.book')}</h2>
      {patient ? (
        <p data-testid="booking-patient">
          {patient.name}{' '}
          <button type="button" className="link" onClick={() => setPatient(null)}>
            {t('board.change_patient')}
          </button>
        </p>
      ) : (
        <div className="field">
          <label htmlFor="booking-patient-search">{t('board.patient')}</label>
          <input
            id="booking-patient-search"
            autoFocus
            value={query}
            placeholder={t('search.placeholder')}
            onChange={(e) => setQuery(e.target.value)}
          />
          <ul className="hits compact" data-testid="booking-hits">
            {(query.trim() === '' ? [] : hits).map((hit) => (
              <li key={hit.id}>
                <button type="button" className="hit-choice" onClick={() => void choose(hit)}>
                  <strong>{hit.title}</strong> <span className="muted">{hit.detail}</span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="field">
        <label htmlFor="booking-type">{t('board.type')}</label>
        <select
          id="booking-type"
          value={typeId}
          onChange={(e) => {
            setTypeId(e.target.value)
            const type = board.types.find((x) => x.id === e.target.value)
            if (type) {
              setMinutes(type.minutes)
              setKind(type.kind)
            }
          }}
        >
          <option value="">{t('board.no_type')}</option>
          {board.types.map((type) => (
            <option key={type.id} value={type.id}>
              {type.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="booking-vet">{t('board.vet')}</label>
        <select id="booking-vet" value={vet} onChange={(e) => setVet(e.target.value)}>
          {board.vets.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="booking-room">{t('board.room')}</label>
        <select id="booking-room" value={room} onChange={(e) => setRoom(e.target.value)}>
          <option value="">{t('board.no_room')}</option>
          {board.rooms.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="booking-time">{t('board.time')}</label>
        <input
          id="booking-time"
          value={time}
          inputMode="numeric"
          aria-invalid={timeValid ? undefined : true}
          onChange={(e) => setTime(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="booking-length">{t('board.length')}</label>
        <select id="booking-length" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          {[...new Set([15, 30, 45, 60, 90, 120, minutes])].sort((a, b) => a - b).map((m) => (
            <option key={m} value={m}>
              {t('board.minutes', { count: m })}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="booking-kind">{t('board.kind')}</label>
        <select id="booking-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}` as MessageKey)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="booking-repeat">{t('board.repeat')}</label>
        <select id="booking-repeat" value={everyWeeks} onChange={(e) => setEveryWeeks(Number(e.target.value))}>
          <option value={0}>{t('board.repeat_none')}</option>
          {[1, 2, 4].map((weeks) => (
            <option key={weeks} value={weeks}>
              {t('board.repeat_every', { weeks })}
            </option>
          ))}
        </select>
      </div>
      {everyWeeks > 0 && (
        <div className="field">
          <label htmlFor="booking-count">{t('board.repeat_count')}</label>
          <input id="booking-count" value={count} inputMode="numeric" size={3} onChange={(e) => setCount(e.target.value)} />
        </div>
      )}
      <div className="field">
        <label htmlFor="booking-reason">{t('board.reason')}</label>
        <input id="booking-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      {error && <ErrorText error={error} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !patient || !timeValid || !vet}>
          {t('board.book')}
        </button>
        {(error?.code === 'double_booked' || error?.code === 'outside_hours') && (
          <button type="button" data-testid="book-anyway" onClick={() => void book(true)}>
            {t('board.book_anyway')}
          </button>
        )}
        {patient && (
          <button
            type="button"
            onClick={() =>
              waitlisting.mutate(
                {
                  patient_id: patient.id,
                  client_id: patient.clientId,
                  vet_id: vet || undefined,
                  reason: reason.trim() || t(`kind.${kind}` as MessageKey),
                },
                { onSuccess: onCancel },
              )
            }
          >
            {t('board.to_waitlist')}
          </button>
        )}
        <button type="button" onClick={onCancel}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  )
}

function Waitlist({
  board,
  onBook,
  onRemove,
}: {
  board: Board | null
  onBook: (entry: Board['waitlist'][number]) => void
  onRemove: (id: string) => Promise<unknown>
}) {
  const t = useT()
  const entries = board?.waitlist ?? []
  return (
    <section className="panel" aria-label={t('board.waitlist')} data-testid="waitlist">
      <h2>{t('board.waitlist')}</h2>
      {entries.length === 0 ? (
        <p className="muted">{t('board.waitlist_empty')}</p>
      ) : (
        <ul className="waitlist">
          {entries.map((w) => (
            <li key={w.id}>
              <strong>{w.patient_name}</strong> <span className="muted">{w.client_name}</span> — {w.reason}
              <div className="actions">
                <button onClick={() => onBook(w)}>{t('board.book')}</button>
                <button onClick={() => void onRemove(w.id)}>{t('board.remove')}</button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
