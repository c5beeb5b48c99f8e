// What `SecondFactorProvider` (SecondFactor.tsx) gives the views inside it: `guard` for
// admin acts, which asks for the admin's authenticator code when core wants one, and
// `enroll`, which shows the set-up of a new authenticator (confirming and enrolling are
// writes, so what shows the person's authenticator is read again after them).
import { createContext, useContext } from 'react'

export type Guard = <T>(work: () => Promise<T>) => Promise<T>

export type SecondFactorActions = { guard: Guard; enroll: () => Promise<boolean> }

export const SecondFactorContext = createContext<SecondFactorActions | null>(null)

const unguarded: SecondFactorActions = {
  guard: (work) => work(),
  enroll: async () => false,
}

/** `guard(work)` for admin acts; outside a provider it runs `work` as it is. */
export function useSecondFactor(): SecondFactorActions {
  return useContext(SecondFactorContext) ?? unguarded
}
