// Global search (Ctrl+K): clients and patients as you type, from core's full-text
// index. Keyboard first: arrows move through the hits, Enter opens one, Escape closes.
// Each keystroke asks Rust at once; the last answer stays shown until the next one
// comes, and an answer to an older query is never shown as this one's, so the list
// always says which query it answers (`data-answered`).
import { useState, type KeyboardEvent } from 'react'
import type { Hit } from '../ipc/bindings'
import { useIpcQuery } from '../ipc/query'
import { ErrorText } from '../shared/forms'
import { useT } from '../shared/i18n'

export function SearchPalette({ onOpen, onClose }: { onOpen: (hit: Hit) => void; onClose: () => void }) {
  const t = useT()
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const search = useIpcQuery('search', { query, limit: 12 }, { enabled: query.trim() !== '', keepPrevious: true })
  const error = search.error
  // The query the shown hits answer (so "nothing matches" waits for its answer).
  const [answered, setAnswered] = useState({ query: '', hits: [] as Hit[] })
  if (search.data && !search.isPlaceholderData && (answered.query !== query || answered.hits !== search.data)) {
    setAnswered({ query, hits: search.data })
    setActive(0)
  }

  // An empty box shows nothing, whatever the last answer was.
  const shown = query.trim() === '' ? [] : answered.hits

  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      onClose()
    } else if (event.key === 'ArrowDown') {
      event.preventDefault()
      setActive((i) => Math.min(i + 1, Math.max(shown.length - 1, 0)))
    } else if (event.key === 'ArrowUp') {
      event.preventDefault()
      setActive((i) => Math.max(i - 1, 0))
    } else if (event.key === 'Enter') {
      const hit = shown[active]
      if (hit) {
        event.preventDefault()
        onOpen(hit)
      }
    }
  }

  return (
    <div className="overlay" onMouseDown={onClose}>
      <div
        className="palette"
        role="dialog"
        aria-modal="true"
        aria-label={t('search.label')}
        onMouseDown={(e) => e.stopPropagation()}
      >
        <input
          className="palette-input"
          autoFocus
          role="combobox"
          aria-expanded={shown.length > 0}
          aria-controls="search-results"
          aria-activedescendant={shown[active] ? `hit-${shown[active].id}` : undefined}
          aria-label={t('search.label')}
          placeholder={t('search.placeholder')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onKey}
          data-testid="search-input"
        />
        {error && <ErrorText error={error} />}
        <ul
          id="search-results"
          role="listbox"
          className="hits"
          data-testid="search-results"
          data-answered={answered.query}
        >
          {shown.map((hit, i) => (
            <li
              key={`${hit.kind}-${hit.id}`}
              id={`hit-${hit.id}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'hit active' : 'hit'}
              data-kind={hit.kind}
              onMouseEnter={() => setActive(i)}
              onClick={() => onOpen(hit)}
            >
              <span className="hit-kind">{t(hit.kind === 'client' ? 'search.kind.client' : 'search.kind.patient')}</span>
              <span className="hit-title">{hit.title}</span>
              <span className="hit-detail">{hit.detail}</span>
            </li>
          ))}
        </ul>
        {query.trim() !== '' && answered.query === query && shown.length === 0 && !error && (
          <p className="muted" role="status">
            {t('search.none', { query })}
          </p>
        )}
      </div>
    </div>
  )
}
