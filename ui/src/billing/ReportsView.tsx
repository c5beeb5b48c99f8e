// Reports (Alt+6): revenue by day, vet or category over a chosen span of local days,
// stock valuation, expiring lots, the reorder list and the controlled-drug register —
// each a table from core, and saved as CSV under the data directory's documents/.
// Core decides who may see which (revenue: admins).
import { useEffect, useState } from 'react'
import { api } from './api'
import type { IpcError, Report } from './bindings'
import { dayBounds, isoDay } from './dayBoard'
import { ErrorText } from './forms'
import { useFailure } from './failure'
import { useT } from './i18n'
import type { MessageKey } from './locales/en'

const KINDS = ['revenue_day', 'revenue_vet', 'revenue_category', 'stock', 'expiring', 'reorder', 'controlled'] as const

export function ReportsView({ onSignedOut }: { onSignedOut: (error: IpcError) => boolean }) {
  const t = useT()
  const [kind, setKind] = useState<string>('revenue_day')
  const [first, setFirst] = useState(() => {
    const today = new Date()
    return isoDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30))
  })
  const [last, setLast] = useState(() => isoDay(new Date()))
  const [report, setReport] = useState<Report | null>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const { error, setError, fail } = useFailure(onSignedOut)

  const span = () => {
    const from = dayBounds(new Date(`${first}T00:00:00`)).from
    const to = dayBounds(new Date(`${last}T00:00:00`)).to
    return [from.toISOString(), to.toISOString()] as const
  }

  useEffect(() => {
    let live = true
    const from = dayBounds(new Date(`${first}T00:00:00`)).from
    const to = dayBounds(new Date(`${last}T00:00:00`)).to
    api.report({ kind, from: from.toISOString(), to: to.toISOString() }).then(
      (r) => {
        if (!live) return
        setReport(r)
        setError(null)
      },
      (e: unknown) => {
        if (!live) return
        setReport(null)
        fail(e)
      },
    )
    return () => {
      live = false
    }
  }, [kind, first, last, fail, setError])

  const saveCsv = async () => {
    try {
      const [from, to] = span()
      setSaved((await api.reportCsv({ kind, from, to })).path)
    } catch (e) {
      fail(e)
    }
  }

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
        <button onClick={saveCsv} disabled={!report} data-testid="report-csv">
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
