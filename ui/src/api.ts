// Typed calls into the Rust side. Every command rejects with an IpcError
// ({ code, message }); anything else that reaches us is wrapped as "internal" so the
// UI always has a readable message to show.
import { invoke } from '@tauri-apps/api/core'
import { Commands, type AppStatus, type ErrorCode, type IpcError, type SyncStatusView } from './bindings'

export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IpcError).code === 'string' &&
    typeof (value as IpcError).message === 'string'
  )
}

export function toIpcError(value: unknown): IpcError {
  if (isIpcError(value)) return value
  const message = value instanceof Error ? value.message : String(value)
  return { code: 'internal' satisfies ErrorCode, message }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args)
  } catch (error) {
    throw toIpcError(error)
  }
}

export const api = {
  appStatus: () => call<AppStatus>(Commands.appStatus),
  unlockStore: (passphrase: string) =>
    call<AppStatus>(Commands.unlockStore, { request: { passphrase } }),
  syncStatus: () => call<SyncStatusView>(Commands.syncStatus),
  syncNow: () => call<null>(Commands.syncNow),
}
