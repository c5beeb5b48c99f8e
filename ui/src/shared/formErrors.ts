// Which field an IPC error belongs to, and the small input conversions forms share.
import type { IpcError } from '../ipc/bindings'

/** The error to show beside `field`, if the last save failed there. */
export function errorFor(error: IpcError | null, field: string): IpcError | null {
  return error && error.code === 'invalid' && error.field === field ? error : null
}

/** An error that belongs to no single field of the form (shown under it). */
export function formError(error: IpcError | null, fields: readonly string[]): IpcError | null {
  if (!error) return null
  return error.code === 'invalid' && error.field && fields.includes(error.field) ? null : error
}

/** `""` → `null` for optional text fields, as core expects. */
export function optional(value: string): string | null {
  return value.trim() === '' ? null : value
}
