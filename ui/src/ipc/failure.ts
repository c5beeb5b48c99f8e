// The error a view shows, and how a failed command reaches it: a `signed_out` answer
// goes up to the shell (back to the staff switch), anything else is kept to show.
import { useCallback, useState } from 'react'
import { toIpcError } from './api'
import type { IpcError } from './bindings'

export function useFailure(onSignedOut: (error: IpcError) => boolean) {
  const [error, setError] = useState<IpcError | null>(null)
  const fail = useCallback(
    (e: unknown) => {
      const failure = toIpcError(e)
      if (!onSignedOut(failure)) setError(failure)
    },
    [onSignedOut],
  )
  return { error, setError, fail }
}
