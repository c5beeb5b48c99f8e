// A view's tabs: one button per tab with the tab role, the current one selected and
// marked for screen readers, each named by its message key.
import { useT } from './i18n'
import type { MessageKey } from './locales/en'

export function Tabs<T extends string>({
  tabs,
  current,
  onChange,
  label,
  keyOf,
}: {
  tabs: readonly T[]
  current: T
  onChange: (tab: T) => void
  /** What the tab list is, for screen readers. */
  label: string
  /** The message key naming a tab. */
  keyOf: (tab: T) => MessageKey
}) {
  const t = useT()
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((id) => (
        <button
          key={id}
          role="tab"
          aria-selected={current === id}
          className={current === id ? 'tab active' : 'tab'}
          data-tab={id}
          onClick={() => onChange(id)}
        >
          {t(keyOf(id))}
        </button>
      ))}
    </div>
  )
}
