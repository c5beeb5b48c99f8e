// Provides the data layer (query.ts) to everything under it: the app, or one view in a
// test (`render(<View />, { wrapper: IpcProvider })`). One query client and one
// `signed_out` channel per provider.
import { QueryClientProvider } from '@tanstack/react-query'
import { useState, type ReactNode } from 'react'
import { createIpcClient, SignedOutChannel, SignedOutContext } from './query'

export function IpcProvider({ children }: { children: ReactNode }) {
  const [channel] = useState(() => new SignedOutChannel())
  const [client] = useState(() => createIpcClient((error) => channel.report(error)))
  return (
    <QueryClientProvider client={client}>
      <SignedOutContext.Provider value={channel}>{children}</SignedOutContext.Provider>
    </QueryClientProvider>
  )
}
