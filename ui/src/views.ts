// The app's main views, in navigation order, with what each will hold.
export type ViewId =
  | 'today'
  | 'clients'
  | 'exam'
  | 'billing'
  | 'inventory'
  | 'reports'
  | 'settings'

export interface ViewInfo {
  id: ViewId
  label: string
  shortcut: string
  placeholder: string
}

export const VIEWS: readonly ViewInfo[] = [
  { id: 'today', label: 'Today', shortcut: 'Alt+1', placeholder: "The day board of appointments by vet and room will appear here." },
  { id: 'clients', label: 'Clients & Patients', shortcut: 'Alt+2', placeholder: 'Search and records of clients and their animals will appear here.' },
  { id: 'exam', label: 'Exam', shortcut: 'Alt+3', placeholder: "Today's patients, the chart and the SOAP editor will appear here." },
  { id: 'billing', label: 'Billing', shortcut: 'Alt+4', placeholder: 'Invoices, payments and the daily close will appear here.' },
  { id: 'inventory', label: 'Inventory', shortcut: 'Alt+5', placeholder: 'Products, stock lots and movements will appear here.' },
  { id: 'reports', label: 'Reports', shortcut: 'Alt+6', placeholder: 'Revenue, stock and controlled-drug reports will appear here.' },
  { id: 'settings', label: 'Settings', shortcut: 'Alt+7', placeholder: '' },
]
