// The day board's arithmetic, pure so it is tested on its own: the local day's bounds,
// which rows (15-minute slots) a day shows, where an appointment sits and how tall it
// is, which columns it shows in (its vet's; or its room's and each resource's it
// holds), the spans outside a vet's working hours and the blocks of a column, moving
// and resizing in slot steps, and which moves an appointment's status allows (core's
// rule, mirrored for buttons).
import type { Appointment, Block, Status, WorkingWindow } from '../ipc/bindings'

export const SLOT_MINUTES = 15
const SLOT_MS = SLOT_MINUTES * 60_000
/** The day board shows at least 08:00–19:00, more if appointments fall outside. */
export const OPEN_HOUR = 8
export const CLOSE_HOUR = 19

/** Local midnight of `date` and of the next day, as instants. */
export function dayBounds(date: Date): { from: Date; to: Date } {
  const from = new Date(date.getFullYear(), date.getMonth(), date.getDate())
  const to = new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1)
  return { from, to }
}

/** `YYYY-MM-DD` of a local date. */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** `HH:MM` local. */
export function clockTime(ms: number): string {
  const d = new Date(ms)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/** The first and last instant the board shows for the day starting at `dayStart`. */
export function visibleRange(dayStart: Date, appointments: readonly Appointment[]): { start: number; end: number } {
  const at = (hour: number) =>
    new Date(dayStart.getFullYear(), dayStart.getMonth(), dayStart.getDate(), hour).getTime()
  let start = at(OPEN_HOUR)
  let end = at(CLOSE_HOUR)
  for (const a of appointments) {
    start = Math.min(start, floorToSlot(a.starts_at_ms))
    end = Math.max(end, ceilToSlot(a.ends_at_ms))
  }
  return { start, end }
}

export function floorToSlot(ms: number): number {
  return Math.floor(ms / SLOT_MS) * SLOT_MS
}

export function ceilToSlot(ms: number): number {
  return Math.ceil(ms / SLOT_MS) * SLOT_MS
}

/** The slot starts of the visible range. */
export function slots(range: { start: number; end: number }): number[] {
  const out: number[] = []
  for (let t = range.start; t < range.end; t += SLOT_MS) out.push(t)
  return out
}

/** Row offset and row span of an appointment on the board (at least one row). */
export function placement(a: Pick<Appointment, 'starts_at_ms' | 'ends_at_ms'>, rangeStart: number) {
  const row = Math.round((a.starts_at_ms - rangeStart) / SLOT_MS)
  const span = Math.max(1, Math.round((a.ends_at_ms - a.starts_at_ms) / SLOT_MS))
  return { row, span }
}

export type BoardMode = 'vet' | 'room'

/**
 * The columns an appointment shows in: its vet's; or, by resource, its room's (`''` for
 * no room and nothing else held) and each room or piece of equipment its type holds.
 */
export function columnsOf(a: Pick<Appointment, 'vet_id' | 'room_id' | 'resources'>, mode: BoardMode): string[] {
  if (mode === 'vet') return [a.vet_id]
  const held = [...(a.room_id ? [a.room_id] : []), ...a.resources]
  return held.length > 0 ? held : ['']
}

/**
 * The spans of `range` outside `staff`'s working windows — greyed on the board. None
 * when no hours are set for them (no limits).
 */
export function offHours(range: { start: number; end: number }, windows: readonly WorkingWindow[], staff: string) {
  const own = windows
    .filter((w) => w.staff_id === staff)
    .map((w) => ({ start: Math.max(w.starts_at_ms, range.start), end: Math.min(w.ends_at_ms, range.end) }))
    .filter((w) => w.start < w.end)
    .sort((a, b) => a.start - b.start)
  if (!windows.some((w) => w.staff_id === staff)) return []
  const out: { start: number; end: number }[] = []
  let at = range.start
  for (const w of own) {
    if (w.start > at) out.push({ start: at, end: w.start })
    at = Math.max(at, w.end)
  }
  if (at < range.end) out.push({ start: at, end: range.end })
  return out
}

/** The blocks a column shows: its own (a vet's, or a resource's) and the whole clinic's. */
export function blocksOf(blocks: readonly Block[], column: string, mode: BoardMode): Block[] {
  return blocks.filter((b) =>
    b.staff_id === null && b.resource_id === null
      ? true
      : mode === 'vet'
        ? b.staff_id === column
        : b.resource_id === column,
  )
}

/** Moved by `slotsBy` slots (negative: earlier), same length. */
export function moved(a: Pick<Appointment, 'starts_at_ms' | 'ends_at_ms'>, slotsBy: number) {
  return { starts_at_ms: a.starts_at_ms + slotsBy * SLOT_MS, ends_at_ms: a.ends_at_ms + slotsBy * SLOT_MS }
}

/** Moved to start at `start`, same length. */
export function movedTo(a: Pick<Appointment, 'starts_at_ms' | 'ends_at_ms'>, start: number) {
  return { starts_at_ms: start, ends_at_ms: start + (a.ends_at_ms - a.starts_at_ms) }
}

/** Longer or shorter by `slotsBy` slots; never shorter than one slot. */
export function resized(a: Pick<Appointment, 'starts_at_ms' | 'ends_at_ms'>, slotsBy: number) {
  return {
    starts_at_ms: a.starts_at_ms,
    ends_at_ms: Math.max(a.starts_at_ms + SLOT_MS, a.ends_at_ms + slotsBy * SLOT_MS),
  }
}

/** The status moves core allows (`schedule::Status::can_become`), in button order. */
export function nextStatuses(status: Status): Status[] {
  switch (status) {
    case 'booked':
      return ['checked_in', 'no_show', 'cancelled']
    case 'checked_in':
      return ['in_exam', 'booked', 'cancelled']
    case 'in_exam':
      return ['done']
    default:
      return []
  }
}

/** Whether an appointment still holds its slot (shown on the board, counted in clashes). */
export function holdsSlot(status: Status): boolean {
  return status !== 'no_show' && status !== 'cancelled'
}

/** `09:30` on the day starting at `dayStart` → that instant, or null if not a time. */
export function timeOnDay(dayStart: Date, text: string): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim())
  if (!match) return null
  const hours = Number(match[1])
  const minutes = Number(match[2])
  if (hours > 23 || minutes > 59) return null
  return new Date(dayStart.getFullYear(), dayStart.getMonth(), dayStart.getDate(), hours, minutes).getTime()
}

/** The last `n` local days, oldest first, as instants. */
export function lastDays(n: number, today = new Date()): { from: string; to: string; label: string }[] {
  const out = []
  for (let i = n - 1; i >= 0; i -= 1) {
    const day = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i)
    const { from, to } = dayBounds(day)
    out.push({ from: from.toISOString(), to: to.toISOString(), label: isoDay(day) })
  }
  return out
}
