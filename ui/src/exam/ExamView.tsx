// Exam: today's patients who have checked in (the front desk's check-in moves them
// here) and those in the exam room, the signed-in vet's own; opening one starts the
// exam (the appointment moves to `in_exam`) and shows the encounter.
import { useMemo, useState } from 'react'
import type { Appointment, SessionView } from '../ipc/bindings'
import { clockTime, dayBounds, nextStatuses } from '../schedule/dayBoard'
import { ErrorText } from '../shared/forms'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { EncounterScreen } from './EncounterScreen'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'

export function ExamView({ session }: { session: SessionView }) {
  const t = useT()
  const [mineOnly, setMineOnly] = useState(session.roles.includes('vet'))
  const [open, setOpen] = useState<{ encounterId: string; patientId: string } | null>(null)
  const [today] = useState(() => {
    const { from, to } = dayBounds(new Date())
    return { from: from.toISOString(), to: to.toISOString() }
  })
  const boardQuery = useIpcQuery('dayBoard', today, { enabled: open === null })
  const board = boardQuery.data ?? null
  const openExamCall = useIpcMutation('openExam')
  const setStatus = useIpcMutation('setAppointmentStatus')
  const error = boardQuery.error ?? openExamCall.error ?? setStatus.error

  const waiting = useMemo(
    () =>
      (board?.appointments ?? [])
        .filter((a) => a.status === 'checked_in' || a.status === 'in_exam')
        .filter((a) => !mineOnly || a.vet_id === session.staff_id),
    [board, mineOnly, session.staff_id],
  )
  const roomName = (a: Appointment) => board?.rooms.find((r) => r.id === a.room_id)?.name ?? t('board.no_room')
  const vetName = (a: Appointment) => board?.vets.find((v) => v.id === a.vet_id)?.name ?? ''

  const openExam = (a: Appointment) =>
    openExamCall.mutate({ id: a.id }, { onSuccess: (encounterId) => setOpen({ encounterId, patientId: a.patient_id }) })

  if (open) {
    return (
      <EncounterScreen
        encounterId={open.encounterId}
        patientId={open.patientId}
        onBack={() => setOpen(null)}
      />
    )
  }
  return (
    <section>
      <div className="board-toolbar">
        <h2>{t('exam.waiting')}</h2>
        <span className="spacer" />
        <label className="field check">
          <input type="checkbox" checked={mineOnly} onChange={(e) => setMineOnly(e.target.checked)} />
          {t('exam.mine_only')}
        </label>
      </div>
      {error && <ErrorText error={error} />}
      {waiting.length === 0 ? (
        <p className="muted">{t('exam.none')}</p>
      ) : (
        <ul className="exam-list" data-testid="exam-list">
          {waiting.map((a) => (
            <li key={a.id} data-appointment-id={a.id} data-status={a.status}>
              <span className="appointment-time">{clockTime(a.starts_at_ms)}</span> <strong>{a.patient_name}</strong>{' '}
              <span className="muted">
                {a.client_name} · {roomName(a)} · {vetName(a)} · {t(`appointment.${a.status}` as MessageKey)}
              </span>
              <span className="actions">
                <button className="primary" data-action="open" onClick={() => openExam(a)}>
                  {t('exam.open')}
                </button>
                {nextStatuses(a.status)
                  .filter((s) => s === 'done')
                  .map((next) => (
                    <button
                      key={next}
                      data-action={next}
                      onClick={() => setStatus.mutate({ id: a.id, status: next })}
                    >
                      {t(`action.${next}` as MessageKey)}
                    </button>
                  ))}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
