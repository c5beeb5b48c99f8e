// The error a view shows for its own calls (those not made through a query or a
// mutation): a `signed_out` answer goes to the session gate (back to the staff switch),
// anything else is kept to show.
import { useCallback, useState } from 'react'
import { toIpcError } from './api'
import type { IpcError } from './bindings'
import { useReportSignedOut } from './query'

export function useFailure() {
  const report = useReportSignedOut()
  const [error, setError] = useState<IpcError | null>(null)
  const fail = useCallback(
    (e: unknown) => {
      const failure = toIpcError(e)
      if (!report(failure)) setError(failure)
    },
    [report],
  )
  return { error, setError, fail }
}
