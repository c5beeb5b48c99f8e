// The signed-in session, for everything inside the shell: who is signed in, the store's
// status, and `signOut(why?)` (the staff switch, the idle lock, and any command that
// answers `signed_out`). Provided by the session gate in App.tsx; no view is handed it
// as a prop.
import { createContext, useContext } from 'react'
import type { AppStatus, SessionView } from '../ipc/bindings'

export interface SignedIn {
  session: SessionView
  status: AppStatus
  signOut: (why?: string) => void
}

export const SessionContext = createContext<SignedIn | null>(null)

/** The signed-in session; only views inside the shell ask for it. */
export function useSession(): SignedIn {
  const signedIn = useContext(SessionContext)
  if (!signedIn) throw new Error('useSession() outside the signed-in shell')
  return signedIn
}
