// Choosing a client for a bill as the front desk types: the client search's hits
// (clients only) under the box, Enter takes the first, a click any; once chosen the
// client's name shows with a way to change it. Used by a new invoice or estimate and
// by the counter sale (where no client is a walk-in).
import { useState } from 'react'
import type { Hit } from '../ipc/bindings'
import { useIpcQuery } from '../ipc/query'
import { useT } from '../shared/i18n'

export function ClientPicker({
  client,
  onChange,
  testId,
  placeholder,
}: {
  client: Hit | null
  onChange: (client: Hit | null) => void
  /** Prefix of the parts' test ids: `${testId}-client`, `-client-search`, `-client-hits`. */
  testId: string
  placeholder?: string
}) {
  const t = useT()
  const [query, setQuery] = useState('')
  const search = useIpcQuery('search', { query, limit: 12 }, { enabled: client === null && query.trim() !== '', keepPrevious: true })
  const clients = query.trim() === '' ? [] : (search.data ?? []).filter((h) => h.kind === 'client')
  if (client) {
    return (
      <>
        <span data-testid={`${testId}-client`}>{client.title}</span>
        <button type="button" className="link" onClick={() => onChange(null)}>
          {t('board.change_patient')}
        </button>
      </>
    )
  }
  return (
    <>
      <label>
        {t('billing.client')}
        <input
          value={query}
          placeholder={placeholder ?? t('search.placeholder')}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && clients[0]) {
              e.preventDefault()
              onChange(clients[0])
            }
          }}
          data-testid={`${testId}-client-search`}
        />
      </label>
      {clients.length > 0 && (
        <ul className="hits compact" data-testid={`${testId}-client-hits`}>
          {clients.map((hit) => (
            <li key={hit.id}>
              <button type="button" className="link" onClick={() => onChange(hit)}>
                {hit.title}
              </button>{' '}
              <span className="muted">{hit.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  )
}
