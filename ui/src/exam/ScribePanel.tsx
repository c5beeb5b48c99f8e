// The exam room's record button: records the visit (the client's consent, or a reason
// for this visit that is audited), shows the input level, the time and each utterance
// of the live transcript as it is heard; pause and resume; stop runs the final pass and
// the draft appears for review (the write refetches the encounter). A WAV file can be
// drafted instead where there is no microphone. The long final pass shows its progress.
import { useState } from 'react'
import { api } from '../ipc/api'
import { ErrorText } from '../shared/forms'
import { useActions, useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'
import { audioTime } from './scribeText'

/** Level and live transcript while something runs; the model's name otherwise. */
const POLL_ACTIVE_MS = 250
const POLL_IDLE_MS = 2000

export function ScribePanel({ encounterId }: { encounterId: string }) {
  const t = useT()
  const [reason, setReason] = useState('')
  const [path, setPath] = useState('')
  const { run, busy, error } = useActions()
  // Quickly while something runs; a failed poll keeps the last status shown.
  const status =
    useIpcQuery('scribeStatus', undefined, {
      refetchInterval: (last) => (busy || last?.recording || last?.working ? POLL_ACTIVE_MS : POLL_IDLE_MS),
    }).data ?? null

  const recording = status?.recording && status.recording.encounter_id === encounterId ? status.recording : null
  const elsewhere = status?.recording && !recording
  const needsConsent = error?.code === 'not_allowed_now' && /consent/i.test(error.message)
  // −60 dBFS and below shows empty; 0 dBFS full.
  const level = recording ? Math.max(0, Math.min(60, recording.level_dbfs + 60)) : 0

  return (
    <section className="panel scribe" aria-label={t('scribe.title')} data-testid="scribe">
      <h3>{t('scribe.title')}</h3>
      <p className="muted">
        {status?.model ? t('scribe.model_in_use', { file: status.model }) : t('scribe.no_model')}
      </p>
      {recording ? (
        <div data-testid="recording">
          <p role="status">
            <span className={recording.paused ? 'rec paused' : 'rec'}>●</span>{' '}
            {recording.paused ? t('scribe.paused') : t('scribe.recording')} {audioTime(recording.seconds * 1000)}
            {recording.device ? ` · ${recording.device}` : ''}
          </p>
          <meter
            className="level"
            min={0}
            max={60}
            low={10}
            high={54}
            optimum={35}
            value={level}
            aria-label={t('scribe.level')}
            data-testid="level"
            data-dbfs={recording.level_dbfs.toFixed(1)}
          />
          {recording.problem && <p className="error-message">{recording.problem}</p>}
          <ol className="live-transcript" data-testid="live-transcript" aria-live="polite">
            {recording.segments.map((s, i) => (
              <li key={i}>
                <span className="muted">{audioTime(s.start_ms)}</span> {s.text}
              </li>
            ))}
          </ol>
          <div className="actions">
            <button onClick={() => void run(() => api.pauseRecording({ paused: !recording.paused }))} disabled={busy}>
              {recording.paused ? t('scribe.resume') : t('scribe.pause')}
            </button>
            <button
              className="primary"
              data-testid="stop-recording"
              disabled={busy}
              onClick={() => void run(() => api.stopRecording())}
            >
              {t('scribe.stop')}
            </button>
          </div>
        </div>
      ) : (
        <div className="actions">
          <button
            className="primary"
            data-testid="start-recording"
            disabled={busy || Boolean(elsewhere) || Boolean(status?.working)}
            onClick={() => void run(() => api.startRecording({ encounter_id: encounterId, override_reason: needsConsent ? reason : undefined }))}
          >
            ● {needsConsent ? t('scribe.record_with_reason') : t('scribe.record')}
          </button>
          {needsConsent && (
            <input
              aria-label={t('scribe.consent_reason')}
              placeholder={t('scribe.consent_reason')}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          )}
        </div>
      )}
      {!recording && (
        <form
          className="actions"
          onSubmit={(e) => {
            e.preventDefault()
            void run(() => api.draftFromFile({ encounter_id: encounterId, path }))
          }}
        >
          <input
            id="draft-file"
            aria-label={t('scribe.file')}
            placeholder={t('scribe.file')}
            value={path}
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="submit" disabled={busy || path.trim() === '' || Boolean(status?.working)}>
            {t('scribe.draft_from_file')}
          </button>
        </form>
      )}
      {status?.working && (
        <p role="status" data-testid="scribe-progress">
          {t('scribe.working', { percent: status.working.percent })}{' '}
          <progress max={100} value={status.working.percent} />
        </p>
      )}
      {error && <ErrorText error={error} />}
    </section>
  )
}
