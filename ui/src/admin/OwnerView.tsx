// Owner: today's numbers and the last 30 days as a chart (appointments, patients seen,
// no-shows, signed visits); staff and their roles (add, deactivate); devices and sync;
// the audit log with filters (who, action, record, time) and the hash-chain check.
// Core refuses all of it to roles other than admin; this shows what core answers. Admin
// acts go through `useSecondFactor().guard`, which asks for the admin's authenticator
// code when core wants it.
import { useMemo, useState, type FormEvent } from 'react'
import { api } from '../ipc/api'
import type { DayStats, DeviceRow, Invitation } from '../ipc/bindings'
import { dayBounds, lastDays } from '../schedule/dayBoard'
import { ErrorText } from '../shared/forms'
import { useFailure } from '../ipc/failure'
import { useActions, useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'
import { Tabs } from '../shared/Tabs'
import type { MessageKey } from '../shared/locales/en'
import { SyncIndicator } from '../sync/SyncIndicator'
import { useMoney } from '../billing/useMoney'
import { AuthenticatorPanel, SecondFactorProvider } from '../session/SecondFactor'
import { useSecondFactor } from '../session/secondFactorContext'
import { describeAlert } from '../billing/stockText'

type Tab = 'dashboard' | 'staff' | 'audit' | 'devices'
const TABS: Tab[] = ['dashboard', 'staff', 'audit', 'devices']
const ROLES = ['admin', 'vet', 'nurse', 'front_desk'] as const

export function OwnerView({ deviceId }: { deviceId: string }) {
  const t = useT()
  const [tab, setTab] = useState<Tab>('dashboard')
  return (
    <SecondFactorProvider>
      <section>
        <Tabs tabs={TABS} current={tab} onChange={setTab} label={t('view.owner')} keyOf={(id) => `owner.tab.${id}` as MessageKey} />
        {tab === 'dashboard' && <Dashboard />}
        {tab === 'staff' && <Staff />}
        {tab === 'audit' && <AuditLog />}
        {tab === 'devices' && <Devices deviceId={deviceId} />}
      </section>
    </SecondFactorProvider>
  )
}

function Dashboard() {
  const t = useT()
  const money = useMoney()
  const days = useMemo(() => lastDays(30), [])
  const statsQuery = useIpcQuery('dashboard', { days: days.map(({ from, to }) => ({ from, to })) })
  const stats = statsQuery.data
  const alerts = useIpcQuery('stockAlerts', undefined).data ?? []
  if (statsQuery.error) return <ErrorText error={statsQuery.error} />
  if (!stats) return <p role="status">{t('app.loading')}</p>
  const today = stats[stats.length - 1]
  const total = (key: keyof DayStats) => stats.reduce((sum, s) => sum + (s[key] as number), 0)
  const max = Math.max(1, ...stats.map((s) => s.booked))
  const cards: [MessageKey, number, number][] = [
    ['owner.booked', today?.booked ?? 0, total('booked')],
    ['owner.seen', today?.seen ?? 0, total('seen')],
    ['owner.no_shows', today?.no_shows ?? 0, total('no_shows')],
    ['owner.signed_visits', today?.signed_visits ?? 0, total('signed_visits')],
  ]
  return (
    <div data-testid="dashboard">
      <div className="cards">
        {cards.map(([key, day, month]) => (
          <div className="card" key={key} data-stat={key}>
            <span className="card-label">{t(key)}</span>
            <strong className="card-today">{day}</strong>
            <span className="muted">{t('owner.last_30', { count: month })}</span>
          </div>
        ))}
        <div className="card" data-stat="owner.revenue">
          <span className="card-label">{t('owner.revenue')}</span>
          <strong className="card-today">{money(today?.revenue_cents ?? 0)}</strong>
          <span className="muted">
            {t('owner.revenue_today')} · {t('owner.revenue_30', { amount: money(total('revenue_cents')) })}
          </span>
        </div>
        <div className="card" data-stat="owner.stock_alerts">
          <span className="card-label">{t('owner.stock_alerts')}</span>
          <strong className="card-today">{alerts.length}</strong>
          <ul className="muted card-list">
            {alerts.slice(0, 3).map((a, i) => (
              <li key={i}>{describeAlert(a, t)}</li>
            ))}
          </ul>
        </div>
      </div>
      <h3>{t('owner.chart')}</h3>
      <svg className="bars" viewBox={`0 0 ${days.length * 20} 120`} role="img" aria-label={t('owner.chart')}>
        {stats.map((s, i) => {
          const h = (s.booked / max) * 100
          const seen = (s.seen / max) * 100
          const missed = (s.no_shows / max) * 100
          return (
            <g key={s.from_ms}>
              <title>{`${days[i]?.label}: ${s.booked} / ${s.seen} / ${s.no_shows}`}</title>
              <rect x={i * 20 + 3} y={110 - h} width={14} height={h} className="bar-booked" />
              <rect x={i * 20 + 3} y={110 - seen} width={14} height={seen} className="bar-seen" />
              <rect x={i * 20 + 3} y={110 - missed} width={14} height={missed} className="bar-missed" />
            </g>
          )
        })}
      </svg>
      <p className="legend muted">
        <span className="swatch bar-booked" /> {t('owner.booked')} <span className="swatch bar-seen" /> {t('owner.seen')}{' '}
        <span className="swatch bar-missed" /> {t('owner.no_shows')}
      </p>
    </div>
  )
}

function Staff() {
  const t = useT()
  const staffQuery = useIpcQuery('staffAll', undefined)
  const staff = staffQuery.data ?? null
  const [name, setName] = useState('')
  const [pin, setPin] = useState('')
  const [roles, setRoles] = useState<string[]>(['vet'])
  // The authenticator panel's own failures.
  const { error: panelError, fail } = useFailure()
  const { guard } = useSecondFactor()
  // Admin acts, through the second factor when core asks for it.
  const { run, error: refused } = useActions(guard)
  const error = refused ?? panelError ?? staffQuery.error
  const add = (event: FormEvent) => {
    event.preventDefault()
    void run(() => api.addStaff({ name, roles, pin })).then((done) => {
      if (!done) return
      setName('')
      setPin('')
    })
  }
  return (
    <div data-testid="staff">
      {error && <ErrorText error={error} />}
      <AuthenticatorPanel onFailed={fail} />
      <table className="table">
        <thead>
          <tr>
            <th>{t('owner.name')}</th>
            <th>{t('owner.roles')}</th>
            <th>{t('owner.active')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(staff ?? []).map((m) => (
            <tr key={m.id} data-staff-id={m.id}>
              <td>{m.name}</td>
              <td>
                <RolesEditor staffId={m.id} roles={m.roles} run={run} />
              </td>
              <td>{m.active ? t('form.yes') : t('form.no')}</td>
              <td>
                {m.active && (
                  <button
                    onClick={() => void run(() => api.deactivateStaff({ id: m.id }))}
                  >
                    {t('owner.deactivate')}
                  </button>
                )}{' '}
                {m.active && (
                  <button
                    data-action="reset-authenticator"
                    onClick={() => void run(() => api.secondFactorReset({ id: m.id }))}
                  >
                    {t('second_factor.reset')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="panel inline-form" onSubmit={add} aria-label={t('owner.add_staff')}>
        <h3>{t('owner.add_staff')}</h3>
        <label htmlFor="staff-name">{t('owner.name')}</label>
        <input id="staff-name" value={name} onChange={(e) => setName(e.target.value)} />
        <fieldset>
          <legend>{t('owner.roles')}</legend>
          {ROLES.map((r) => (
            <label key={r} className="field check">
              <input
                type="checkbox"
                checked={roles.includes(r)}
                onChange={(e) => setRoles((now) => (e.target.checked ? [...now, r] : now.filter((x) => x !== r)))}
              />
              {t(`role.${r}` as MessageKey)}
            </label>
          ))}
        </fieldset>
        <label htmlFor="staff-pin">{t('owner.first_pin')}</label>
        <input id="staff-pin" type="password" inputMode="numeric" value={pin} onChange={(e) => setPin(e.target.value)} />
        <button type="submit" className="primary">
          {t('owner.add_staff')}
        </button>
      </form>
    </div>
  )
}

function AuditLog() {
  const t = useT()
  const staff = useIpcQuery('staffAll', undefined).data ?? []
  const [actor, setActor] = useState('')
  const [action, setAction] = useState('')
  const [entity, setEntity] = useState('')
  const [day, setDay] = useState('')
  const bounds = /^\d{4}-\d{2}-\d{2}$/.test(day) ? dayBounds(new Date(`${day}T00:00`)) : null
  const search = useIpcQuery(
    'auditSearch',
    {
      actor_id: actor || null,
      action_prefix: action.trim() || null,
      entity: entity.trim() || null,
      entity_id: null,
      from: bounds ? bounds.from.toISOString() : null,
      to: bounds ? bounds.to.toISOString() : null,
      limit: 200,
    },
    { keepPrevious: true },
  )
  const view = search.data ?? null
  const error = search.error
  const nameOf = (id: string) =>
    staff.find((s) => s.id === id)?.name ?? (/^0{8}-/.test(id) ? t('owner.system') : id.slice(0, 8))
  return (
    <div data-testid="audit">
      {error && <ErrorText error={error} />}
      {view && (
        <p
          className={view.verification.problems.length === 0 ? 'chain ok' : 'chain broken'}
          role={view.verification.problems.length === 0 ? 'status' : 'alert'}
          data-testid="chain"
        >
          {view.verification.problems.length === 0
            ? t('owner.chain_ok', { events: view.verification.events, devices: view.verification.devices })
            : t('owner.chain_broken', { count: view.verification.problems.length })}
          {view.verification.signer_unchecked > 0 &&
            ' ' + t('owner.chain_unchecked', { count: view.verification.signer_unchecked })}
        </p>
      )}
      <div className="filters">
        <label htmlFor="audit-actor">{t('owner.filter_actor')}</label>
        <select id="audit-actor" value={actor} onChange={(e) => setActor(e.target.value)}>
          <option value="">{t('owner.anyone')}</option>
          {staff.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <label htmlFor="audit-action">{t('owner.filter_action')}</label>
        <input id="audit-action" placeholder="encounter." value={action} onChange={(e) => setAction(e.target.value)} />
        <label htmlFor="audit-entity">{t('owner.filter_entity')}</label>
        <input id="audit-entity" placeholder="client" value={entity} onChange={(e) => setEntity(e.target.value)} />
        <label htmlFor="audit-day">{t('owner.filter_day')}</label>
        <input id="audit-day" placeholder={t('patient.date_format')} value={day} onChange={(e) => setDay(e.target.value)} />
      </div>
      <table className="table" data-testid="audit-events">
        <thead>
          <tr>
            <th>{t('owner.when')}</th>
            <th>{t('owner.who')}</th>
            <th>{t('owner.action')}</th>
            <th>{t('owner.record')}</th>
            <th>{t('owner.detail')}</th>
          </tr>
        </thead>
        <tbody>
          {(view?.events ?? []).map((e) => (
            <tr key={e.id} data-action={e.action}>
              <td>{e.at.slice(0, 19).replace('T', ' ')}</td>
              <td>{nameOf(e.actor_id)}</td>
              <td>{e.action}</td>
              <td>
                {e.entity} <span className="muted">{e.entity_id.slice(0, 8)}</span>
              </td>
              <td>{e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** A member's roles as checkboxes; saving sends the new set to core. */
function RolesEditor({
  staffId,
  roles,
  run,
}: {
  staffId: string
  roles: string[]
  run: (work: () => Promise<unknown>) => Promise<boolean>
}) {
  const t = useT()
  const [chosen, setChosen] = useState<string[] | null>(null)
  if (chosen === null) {
    return (
      <span>
        {roles.map((r) => t(`role.${r}` as MessageKey)).join(', ')}{' '}
        <button className="link" data-action="edit-roles" onClick={() => setChosen(roles)}>
          {t('owner.edit_roles')}
        </button>
      </span>
    )
  }
  return (
    <span className="roles-editor">
      {ROLES.map((r) => (
        <label key={r} className="field check">
          <input
            type="checkbox"
            checked={chosen.includes(r)}
            onChange={(e) => setChosen((now) => (e.target.checked ? [...(now ?? []), r] : (now ?? []).filter((x) => x !== r)))}
          />
          {t(`role.${r}` as MessageKey)}
        </label>
      ))}
      <button
        onClick={() =>
          void run(() => api.setStaffRoles({ id: staffId, roles: chosen })).then((done) => done && setChosen(null))
        }
      >
        {t('form.save')}
      </button>
    </span>
  )
}

function Devices({ deviceId }: { deviceId: string }) {
  const t = useT()
  const [invitation, setInvitation] = useState<Invitation | null>(null)
  // The pending device whose fingerprint the admin is comparing before approving it.
  const [comparing, setComparing] = useState<DeviceRow | null>(null)
  // Whether the device being approved may manage devices too.
  const [manages, setManages] = useState(false)
  const list = useIpcQuery('devicesList', undefined)
  const devices = list.data ?? null
  const { guard } = useSecondFactor()
  // Invite, approve, revoke: through the second factor when core asks for it.
  const { run, error: refused } = useActions(guard)
  const act = (work: () => Promise<unknown>) => void run(work)
  const error = refused ?? list.error
  return (
    <div className="panel" data-testid="devices">
      <p>
        {t('owner.this_device')}: <code>{deviceId}</code> · <SyncIndicator />
      </p>
      {error && <ErrorText error={error} />}
      {devices && (
        <table className="table" data-testid="device-list">
          <thead>
            <tr>
              <th>{t('owner.device')}</th>
              <th>{t('owner.device_name')}</th>
              <th>{t('owner.fingerprint')}</th>
              <th>{t('owner.device_status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.device_id} data-device={d.device_id} data-status={d.status}>
                <td>
                  <code>{d.device_id}</code> {d.this_device ? t('owner.this_one') : ''}
                </td>
                <td>{d.name ?? ''}</td>
                <td>
                  <code data-testid="fingerprint">{d.fingerprint ?? ''}</code>
                </td>
                <td>
                  {t(`device.${d.status}` as MessageKey)}
                  {d.manages && d.status === 'approved' && <span data-manages="true"> · {t('owner.manages')}</span>}
                  {d.proof && d.proof !== 'verified' && (
                    <span className="warning" role="alert" data-proof={d.proof}>
                      {' '}
                      {t(`owner.proof.${d.proof}` as MessageKey)}
                    </span>
                  )}
                </td>
                <td>
                  {d.status === 'pending' && d.proof === 'verified' && (
                    <button
                      data-action="approve"
                      onClick={() => {
                        setManages(false)
                        setComparing(d)
                      }}
                    >
                      {t('owner.approve')}
                    </button>
                  )}
                  {d.status === 'approved' && !d.this_device && (
                    <button data-action="revoke" onClick={() => act(() => api.deviceRevoke({ id: d.device_id }))}>
                      {t('owner.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {comparing && (
        <div className="confirm" role="dialog" aria-labelledby="compare-title" data-testid="compare-fingerprint">
          <p id="compare-title">
            {t('owner.approve_check', { name: comparing.name ?? '', fingerprint: comparing.fingerprint ?? '' })}
          </p>
          <label>
            <input type="checkbox" data-field="manages" checked={manages} onChange={(e) => setManages(e.target.checked)} />{' '}
            {t('owner.approve_manages')}
          </label>
          <div className="actions">
            <button
              className="primary"
              data-action="confirm-approve"
              onClick={() => {
                const device = comparing
                setComparing(null)
                act(() => api.deviceApprove({ id: device.device_id, fingerprint: device.fingerprint ?? '', manages }))
              }}
            >
              {t('owner.approve_confirm')}
            </button>
            <button onClick={() => setComparing(null)}>{t('form.cancel')}</button>
          </div>
        </div>
      )}
      <div className="actions">
        <button className="primary" data-action="invite" onClick={() => act(async () => setInvitation(await api.deviceInvite()))}>
          {t('owner.invite')}
        </button>
      </div>
      {invitation && (
        <p role="status" data-testid="invitation">
          {t('owner.invitation', {
            code: invitation.code,
            until: new Date(invitation.expires_at_ms).toLocaleTimeString(),
          })}
        </p>
      )}
    </div>
  )
}
