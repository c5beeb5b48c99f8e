// Typed calls into the Rust side, generated with the command list
// (`ipcCommands` in bindings.ts, from crates/ipc/src/commands.rs): `api.signIn(request)`
// resolves to the command's response. Every command rejects with an IpcError
// ({ code, message }); anything else that reaches us is wrapped as "internal" so the UI
// always has a readable message to show.
import { invoke } from '@tauri-apps/api/core'
import { ipcCommands, type ErrorCode, type IpcError } from './bindings'

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

export const api = ipcCommands(call)
