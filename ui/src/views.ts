// The app's main views, in navigation order: their message keys and shortcuts.
import type { MessageKey } from './locales/en'

export type ViewId = 'today' | 'clients' | 'exam' | 'billing' | 'inventory' | 'reports' | 'owner' | 'settings'

export interface ViewInfo {
  id: ViewId
  label: MessageKey
  shortcut: string
  placeholder: MessageKey | null
}

export const VIEWS: readonly ViewInfo[] = [
  { id: 'today', label: 'view.today', shortcut: 'Alt+1', placeholder: null },
  { id: 'clients', label: 'view.clients', shortcut: 'Alt+2', placeholder: null },
  { id: 'exam', label: 'view.exam', shortcut: 'Alt+3', placeholder: null },
  { id: 'billing', label: 'view.billing', shortcut: 'Alt+4', placeholder: null },
  { id: 'inventory', label: 'view.inventory', shortcut: 'Alt+5', placeholder: null },
  { id: 'reports', label: 'view.reports', shortcut: 'Alt+6', placeholder: null },
  { id: 'owner', label: 'view.owner', shortcut: 'Alt+7', placeholder: null },
  { id: 'settings', label: 'view.settings', shortcut: 'Alt+8', placeholder: null },
]
