// The UI's data layer: TanStack Query over the generated IPC commands. A view reads
// with `useIpcQuery('invoiceView', { id })` and writes with `useIpcMutation('invoicePay')`
// (or `useWrite` for a write made of several commands, `useActions` for a view's acts
// one at a time); it keeps no fetch effects and no reload counters of its own.
//
// The rules, set once here:
// - Every write, done or refused, refetches every query on screen: the store is local, reads
//   are cheap, and a write may change any view (a payment changes the invoice, the
//   list, the day's takings and the stock), so no view can show what a write made stale.
//   Only a command that changes no record — saving a PDF or CSV of what is shown — says
//   so (`{ changesRecords: false }`) and refetches nothing; and only a read that no
//   record write can change — the store's status, the session restored at start —
//   says so (`{ readAfterWrites: false }`) and is read when its owner asks.
// - Nothing is kept for later: a query no view uses is dropped at once (`gcTime: 0`), so
//   a view opened again reads afresh, and when a person signs out their views close and
//   nothing they read stays for the next person on a shared workstation.
// - No retries and no waiting for a network: commands are local calls into Rust, and a
//   refusal is an answer to show, not a glitch to retry (`networkMode: 'always'`).
// - A `signed_out` answer from any command goes to one listener (the session gate,
//   which returns to the staff switch); no view handles it.
import { keepPreviousData, MutationCache, QueryCache, QueryClient, useMutation, useQuery } from '@tanstack/react-query'
import { createContext, useCallback, useContext, useEffect } from 'react'
import { api, toIpcError } from './api'
import type { IpcError } from './bindings'

type Api = typeof api
/** A command's name, as `api` and `ipcCommands` spell it (`invoiceView`). */
export type Command = keyof Api
/** The request a command takes (`undefined` for one that takes none). */
export type RequestOf<K extends Command> = Parameters<Api[K]> extends [infer R] ? R : undefined
/** What a command resolves to. */
export type ResponseOf<K extends Command> = Awaited<ReturnType<Api[K]>>

function send<K extends Command>(command: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
  const call = api[command] as unknown as (request: RequestOf<K>) => Promise<ResponseOf<K>>
  return call(request)
}

/** Where `signed_out` answers go: to one listener at a time (the session gate). */
export class SignedOutChannel {
  #listener: ((error: IpcError) => void) | null = null

  /** Makes `listener` the one; the returned function stops it. */
  listen(listener: (error: IpcError) => void): () => void {
    this.#listener = listener
    return () => {
      if (this.#listener === listener) this.#listener = null
    }
  }

  report(error: IpcError) {
    this.#listener?.(error)
  }
}

/** The query client with the rules above; `onSignedOut` hears every `signed_out`. */
export function createIpcClient(onSignedOut: (error: IpcError) => void): QueryClient {
  const heard = (e: unknown) => {
    const error = toIpcError(e)
    if (error.code === 'signed_out') onSignedOut(error)
  }
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: heard }),
    mutationCache: new MutationCache({
      onError: heard,
      onSettled: (_data, _error, _variables, _context, mutation) =>
        mutation.meta?.changesRecords === false
          ? undefined
          : client.invalidateQueries({ predicate: (query) => query.meta?.readAfterWrites !== false }),
    }),
    defaultOptions: {
      queries: { retry: false, gcTime: 0, refetchOnWindowFocus: false, networkMode: 'always' },
      mutations: { retry: false, networkMode: 'always' },
    },
  })
  return client
}

/** The channel of the `IpcProvider` above (IpcProvider.tsx). */
export const SignedOutContext = createContext(new SignedOutChannel())

/** Makes `handler` the one listener for `signed_out` answers while the caller is mounted. */
export function useOnSignedOut(handler: (error: IpcError) => void) {
  const channel = useContext(SignedOutContext)
  useEffect(() => channel.listen(handler), [channel, handler])
}

/**
 * For a view's own calls outside a query or mutation: `report(error)` sends a
 * `signed_out` to the listener and answers true, or answers false for an error the
 * view shows itself.
 */
export function useReportSignedOut(): (error: IpcError) => boolean {
  const channel = useContext(SignedOutContext)
  return useCallback(
    (error: IpcError) => {
      if (error.code !== 'signed_out') return false
      channel.report(error)
      return true
    },
    [channel],
  )
}

interface QueryOptions<T> {
  /** Ask only when true (an input not yet chosen, an empty search box). */
  enabled?: boolean
  /**
   * Ask again every this many milliseconds while shown (status that moves by itself),
   * or as many as the last answer calls for.
   */
  refetchInterval?: number | ((last: T | undefined) => number)
  /** Keep showing the last answer while the next request's answer is on its way. */
  keepPrevious?: boolean
  /** False for a read no record write changes (see the rules above). */
  readAfterWrites?: boolean
}

/** A read: cached under the command and its request, refetched after every write. */
export function useIpcQuery<K extends Command>(
  command: K,
  request: RequestOf<K>,
  options: QueryOptions<ResponseOf<K>> = {},
) {
  const { keepPrevious, refetchInterval, enabled, readAfterWrites = true } = options
  return useQuery<ResponseOf<K>, IpcError>({
    queryKey: [command, request ?? null],
    queryFn: () => send(command, request),
    placeholderData: keepPrevious ? keepPreviousData : undefined,
    enabled,
    meta: { readAfterWrites },
    refetchInterval:
      typeof refetchInterval === 'function' ? (query) => refetchInterval(query.state.data) : refetchInterval,
  })
}

/** A write of one command: `isPending` while it runs, its refusal in `error`. */
export function useIpcMutation<K extends Command>(command: K, options: { changesRecords?: boolean } = {}) {
  return useMutation<ResponseOf<K>, IpcError, RequestOf<K>>({
    mutationFn: (request) => send(command, request),
    meta: { changesRecords: options.changesRecords ?? true },
  })
}

/**
 * A view's acts, one at a time — each any work of commands, run `through` a wrapper if
 * given (the second factor's guard): `run(work)` resolves true once the act is done or
 * false once refused, `busy` while one runs, `error` the last refusal until the next act.
 */
export function useActions(through: <T>(work: () => Promise<T>) => Promise<T> = (work) => work()) {
  const action = useWrite((work: () => Promise<unknown>) => through(work))
  const { mutateAsync } = action
  const run = useCallback(
    (work: () => Promise<unknown>) =>
      mutateAsync(work).then(
        () => true,
        () => false,
      ),
    [mutateAsync],
  )
  return { run, busy: action.isPending, error: action.error }
}

/** A write made of several commands (book, then take the patient off the waitlist). */
export function useWrite<A, R>(work: (args: A) => Promise<R>) {
  return useMutation<R, IpcError, A>({ mutationFn: (args) => work(args).catch((e: unknown) => Promise.reject(toIpcError(e))) })
}
