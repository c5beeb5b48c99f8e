// The day board's arithmetic: bounds, rows, placement, columns, hours outside work,
// blocks, moves, resizes and status moves.
import { describe, expect, it } from 'vitest'
import {
  blocksOf,
  columnsOf,
  dayBounds,
  offHours,
  moved,
  movedTo,
  nextStatuses,
  placement,
  resized,
  slots,
  timeOnDay,
  visibleRange,
} from './dayBoard'

const day = new Date(2026, 10, 23, 14, 5)
const at = (h: number, m = 0) => new Date(2026, 10, 23, h, m).getTime()
const appt = (start: number, end: number) => ({
  starts_at_ms: start,
  ends_at_ms: end,
  vet_id: 'vet-1',
  room_id: null as string | null,
})

describe('day board arithmetic', () => {
  it('spans the local day', () => {
    const { from, to } = dayBounds(day)
    expect(from.getTime()).toBe(at(0))
    expect(to.getTime() - from.getTime()).toBeGreaterThanOrEqual(23 * 3600_000)
  })

  it('shows 08:00–19:00 and stretches to take in early or late appointments', () => {
    const { from } = dayBounds(day)
    expect(visibleRange(from, [])).toEqual({ start: at(8), end: at(19) })
    const early = visibleRange(from, [appt(at(7, 40), at(8, 10)) as never, appt(at(19, 0), at(19, 50)) as never])
    expect(early).toEqual({ start: at(7, 30), end: at(20) })
    expect(slots({ start: at(8), end: at(9) })).toEqual([at(8), at(8, 15), at(8, 30), at(8, 45)])
  })

  it('places an appointment by 15-minute rows, at least one row tall', () => {
    expect(placement(appt(at(9, 30), at(10, 15)), at(8))).toEqual({ row: 6, span: 3 })
    expect(placement(appt(at(9, 0), at(9, 5)), at(8))).toEqual({ row: 4, span: 1 })
  })

  it('moves keep the length; resizes never go below one slot', () => {
    const a = appt(at(9), at(9, 30))
    expect(moved(a, 1)).toEqual({ starts_at_ms: at(9, 15), ends_at_ms: at(9, 45) })
    expect(moved(a, -2)).toEqual({ starts_at_ms: at(8, 30), ends_at_ms: at(9) })
    expect(movedTo(a, at(14))).toEqual({ starts_at_ms: at(14), ends_at_ms: at(14, 30) })
    expect(resized(a, 2)).toEqual({ starts_at_ms: at(9), ends_at_ms: at(10) })
    expect(resized(a, -5)).toEqual({ starts_at_ms: at(9), ends_at_ms: at(9, 15) })
  })

  it("puts an appointment in its vet's column, or in its room's and each resource's it holds", () => {
    expect(columnsOf({ vet_id: 'v', room_id: 'r', resources: ['x'] }, 'vet')).toEqual(['v'])
    expect(columnsOf({ vet_id: 'v', room_id: 'r', resources: ['x'] }, 'room')).toEqual(['r', 'x'])
    expect(columnsOf({ vet_id: 'v', room_id: null, resources: ['x'] }, 'room')).toEqual(['x'])
    expect(columnsOf({ vet_id: 'v', room_id: null, resources: [] }, 'room')).toEqual([''])
  })

  it("greys what is outside a vet's working windows, and nothing for a vet with no hours set", () => {
    const range = { start: at(8), end: at(19) }
    const windows = [
      { staff_id: 'v', starts_at_ms: at(13, 30), ends_at_ms: at(17) },
      { staff_id: 'v', starts_at_ms: at(9), ends_at_ms: at(12, 30) },
    ]
    expect(offHours(range, windows, 'v')).toEqual([
      { start: at(8), end: at(9) },
      { start: at(12, 30), end: at(13, 30) },
      { start: at(17), end: at(19) },
    ])
    expect(offHours(range, windows, 'other')).toEqual([])
  })

  it("shows a column its own blocks and the whole clinic's", () => {
    const block = (id: string, staff: string | null, resource: string | null) => ({
      id, staff_id: staff, resource_id: resource, starts_at_ms: at(12), ends_at_ms: at(13), kind: 'meeting', reason: '',
    })
    const blocks = [block('a', 'v', null), block('b', null, 'xray'), block('c', null, null)]
    expect(blocksOf(blocks, 'v', 'vet').map((b) => b.id)).toEqual(['a', 'c'])
    expect(blocksOf(blocks, 'xray', 'room').map((b) => b.id)).toEqual(['b', 'c'])
  })

  it("offers only core's status moves", () => {
    expect(nextStatuses('booked')).toEqual(['checked_in', 'no_show', 'cancelled'])
    expect(nextStatuses('checked_in')).toEqual(['in_exam', 'booked', 'cancelled'])
    expect(nextStatuses('in_exam')).toEqual(['done'])
    expect(nextStatuses('done')).toEqual([])
    expect(nextStatuses('cancelled')).toEqual([])
  })

  it('reads a typed time on the day, and refuses what is not one', () => {
    const { from } = dayBounds(day)
    expect(timeOnDay(from, '9:30')).toBe(at(9, 30))
    expect(timeOnDay(from, ' 14:05 ')).toBe(at(14, 5))
    for (const bad of ['', '24:00', '9.30', '09:60', 'noon']) expect(timeOnDay(from, bad)).toBeNull()
  })
})
