// Exam: today's patients who have checked in (the front desk's check-in moves them
// here) and those in the exam room, the signed-in vet's own; opening one starts the
// exam (the appointment moves to `in_exam`) and shows the encounter.
import { useEffect, useMemo, useState } from 'react'
import { api } from './api'
import type { Appointment, DayBoard, IpcError, SessionView } from './bindings'
import { clockTime, dayBounds, nextStatuses } from './dayBoard'
import { ErrorText } from './forms'
import { useFailure } from './failure'
import { EncounterScreen } from './EncounterScreen'
import { useT } from './i18n'
import type { MessageKey } from './locales/en'

export function ExamView({
  session,
  onSignedOut,
}: {
  session: SessionView
  onSignedOut: (error: IpcError) => boolean
}) {
  const t = useT()
  const [board, setBoard] = useState<DayBoard | null>(null)
  const { error, fail } = useFailure(onSignedOut)
  const [mineOnly, setMineOnly] = useState(session.roles.includes('vet'))
  const [reload, setReload] = useState(0)
  const [open, setOpen] = useState<{ encounterId: string; patientId: string } | null>(null)

  useEffect(() => {
    let live = true
    const { from, to } = dayBounds(new Date())
    api.dayBoard({ from: from.toISOString(), to: to.toISOString() }).then(
      (b) => live && setBoard(b),
      (e: unknown) => live && fail(e),
    )
    return () => {
      live = false
    }
  }, [reload, fail])

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
    void api.openExam({ id: a.id }).then(
      (encounterId) => setOpen({ encounterId, patientId: a.patient_id }),
      (e: unknown) => fail(e),
    )

  if (open) {
    return (
      <EncounterScreen
        encounterId={open.encounterId}
        patientId={open.patientId}
        onSignedOut={onSignedOut}
        onBack={() => {
          setOpen(null)
          setReload((n) => n + 1)
        }}
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
                      onClick={() =>
                        void api.setAppointmentStatus({ id: a.id, status: next }).then(
                          () => setReload((n) => n + 1),
                          (e: unknown) => fail(e),
                        )
                      }
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
