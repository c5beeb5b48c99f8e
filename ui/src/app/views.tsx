// The app's main views, in navigation order: each one's message key, shortcut and what
// it shows. The shell picks the view from this table; nothing else lists them.
import type { ReactNode } from 'react'
import type { MessageKey } from '../shared/locales/en'
import type { AppStatus, SessionView } from '../ipc/bindings'
import { DayBoard } from '../schedule/DayBoard'
import { ClientsView, type ClientsPage } from '../records/ClientsView'
import { ExamView } from '../exam/ExamView'
import { BillingView } from '../billing/BillingView'
import { CounterSale } from '../billing/CounterSale'
import { InventoryView } from '../billing/InventoryView'
import { ReportsView } from '../billing/ReportsView'
import { OwnerView } from '../admin/OwnerView'
import { Settings } from './Settings'

export type ViewId = 'today' | 'clients' | 'exam' | 'billing' | 'counter' | 'inventory' | 'reports' | 'owner' | 'settings'

/** What the shell holds that a view may need. */
export interface ShellState {
  status: AppStatus
  session: SessionView
  /** The Clients view's page, which global search also opens. */
  clientsPage: ClientsPage
  goClients: (page: ClientsPage) => void
}

export interface ViewInfo {
  id: ViewId
  label: MessageKey
  shortcut: string
  render: (shell: ShellState) => ReactNode
}

export const VIEWS: readonly ViewInfo[] = [
  { id: 'today', label: 'view.today', shortcut: 'Alt+1', render: () => <DayBoard /> },
  {
    id: 'clients',
    label: 'view.clients',
    shortcut: 'Alt+2',
    render: (shell) => <ClientsView page={shell.clientsPage} go={shell.goClients} />,
  },
  { id: 'exam', label: 'view.exam', shortcut: 'Alt+3', render: (shell) => <ExamView session={shell.session} /> },
  { id: 'billing', label: 'view.billing', shortcut: 'Alt+4', render: () => <BillingView /> },
  { id: 'counter', label: 'view.counter', shortcut: 'Alt+5', render: () => <CounterSale /> },
  { id: 'inventory', label: 'view.inventory', shortcut: 'Alt+6', render: () => <InventoryView /> },
  { id: 'reports', label: 'view.reports', shortcut: 'Alt+7', render: () => <ReportsView /> },
  { id: 'owner', label: 'view.owner', shortcut: 'Alt+8', render: (shell) => <OwnerView deviceId={shell.status.device_id} /> },
  { id: 'settings', label: 'view.settings', shortcut: 'Alt+9', render: (shell) => <Settings status={shell.status} /> },
]
