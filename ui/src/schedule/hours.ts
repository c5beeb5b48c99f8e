// A working day as people type it (pure): `09:00-12:30, 13:30-18:00` ↔ spans. Empty is
// a day off. Core checks the times themselves; this only splits the text.
import type { SpanForm, WorkSpan } from '../ipc/bindings'

export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const

/** The spans typed, or null when a part is not `start-end`. */
export function spansOf(text: string): SpanForm[] | null {
  const parts = text
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
  const spans: SpanForm[] = []
  for (const part of parts) {
    const match = /^(\S+)\s*[-–]\s*(\S+)$/.exec(part)
    if (!match) return null
    spans.push({ starts: match[1], ends: match[2] })
  }
  return spans
}

/** A staff member's spans on `weekday`, as they would be typed. */
export function textOf(hours: readonly WorkSpan[], staff: string, weekday: number): string {
  return hours
    .filter((h) => h.staff_id === staff && h.weekday === weekday)
    .map((h) => `${h.starts}-${h.ends}`)
    .join(', ')
}
