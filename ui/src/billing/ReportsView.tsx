// Reports (Alt+7): revenue by day, vet or category over a chosen span of local days,
// stock valuation, expiring lots, the reorder list and the controlled-drug register —
// each a table from core, and saved as CSV under the data directory's documents/.
// Core decides who may see which (revenue: admins).
import { useState } from 'react'
import { dayBounds, isoDay } from '../schedule/dayBoard'
import { ErrorText } from '../shared/forms'
import { useIpcMutation, useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'

const KINDS = ['revenue_day', 'revenue_vet', 'revenue_category', 'stock', 'expiring', 'reorder', 'controlled'] as const

export function ReportsView() {
  const t = useT()
  const [kind, setKind] = useState<string>('revenue_day')
  const [first, setFirst] = useState(() => {
    const today = new Date()
    return isoDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30))
  })
  const [last, setLast] = useState(() => isoDay(new Date()))
  const request = {
    kind,
    from: dayBounds(new Date(`${first}T00:00:00`)).from.toISOString(),
    to: dayBounds(new Date(`${last}T00:00:00`)).to.toISOString(),
  }
  const shown = useIpcQuery('report', request)
  const report = shown.isError ? null : (shown.data ?? null)
  const save = useIpcMutation('reportCsv', { changesRecords: false })
  const saved = save.data?.path ?? null
  const error = shown.error ?? save.error

  return (
    <section className="reports">
      <div className="inline-form">
        <label>
          {t('reports.kind')}
          <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="report-kind">
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`reports.kind.${k}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        {kind.startsWith('revenue') && (
          <>
            <label>
              {t('reports.from')}
              <input type="date" value={first} onChange={(e) => setFirst(e.target.value)} />
            </label>
            <label>
              {t('reports.to')}
              <input type="date" value={last} onChange={(e) => setLast(e.target.value)} />
            </label>
          </>
        )}
        <button onClick={() => save.mutate(request)} disabled={!report} data-testid="report-csv">
          {t('reports.save_csv')}
        </button>
      </div>
      {error && <ErrorText error={error} />}
      {saved && (
        <p role="status" data-testid="report-saved">
          {t('billing.saved', { path: saved })}
        </p>
      )}
      {report && (
        <table className="table" data-testid="report">
          <caption>{report.title}</caption>
          <thead>
            <tr>
              {report.headings.map((h) => (
                <th key={h}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) => (
                  <td key={j}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
