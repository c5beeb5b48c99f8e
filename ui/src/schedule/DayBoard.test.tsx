// The day board with IPC mocked: booking from an empty slot (and over a clash only when
// asked), check-in, a keyboard move, a drop into another vet's column, clashes shown;
// an appointment type that needs the X-ray room, hours outside work greyed, blocked
// time marked, a weekly series.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { DayBoard } from './DayBoard'
import { IpcProvider } from '../ipc/IpcProvider'
import type { Appointment, DayBoard as Board } from '../ipc/bindings'

afterEach(() => {
  cleanup()
  clearMocks()
})

const today = new Date()
const at = (h: number, m = 0) => new Date(today.getFullYear(), today.getMonth(), today.getDate(), h, m).getTime()
const bella: Appointment = {
  id: 'a1',
  patient_id: 'p1',
  patient_name: 'Bella',
  client_id: 'c1',
  client_name: 'Ann Ng',
  vet_id: 'v1',
  room_id: null,
  starts_at_ms: at(9),
  ends_at_ms: at(9, 30),
  kind: 'consultation',
  reason: 'limping',
  status: 'booked',
  forced: false,
  type_id: null,
  resources: [],
  series_id: null,
}

function clinic(appointments: Appointment[], extra: Partial<Board> = {}): Board {
  return {
    vets: [
      { id: 'v1', name: 'Dr Vera Vet', roles: ['vet'] },
      { id: 'v2', name: 'Dr Sam Stone', roles: ['vet'] },
    ],
    rooms: [{ id: 'r1', name: 'Exam 1', kind: 'exam' }],
    resources: [
      { id: 'r1', name: 'Exam 1', kind: 'exam', category: 'room' },
      { id: 'x1', name: 'X-ray room', kind: 'x-ray', category: 'room' },
      { id: 'u1', name: 'Ultrasound', kind: 'ultrasound', category: 'equipment' },
    ],
    types: [],
    windows: [],
    blocks: [],
    templates: [],
    appointments,
    clashes: [],
    waitlist: [],
    ...extra,
  }
}


describe('DayBoard', () => {
  it('books a patient found by name into the clicked slot, and over a clash only when asked', async () => {
    const booked: unknown[] = []
    let board = clinic([])
    mockIPC((cmd, args) => {
      if (cmd === 'day_board') return board
      if (cmd === 'search') return [{ kind: 'patient', id: 'p1', title: 'Bella', detail: 'dog · Ng', score: 1 }]
      if (cmd === 'patient_detail') return { id: 'p1', name: 'Bella', owners: [{ client_id: 'c1', name: 'Ann Ng', primary: true }] }
      if (cmd === 'book') {
        const { request } = args as { request: { booking: { force: boolean } } }
        booked.push(request.booking)
        if (!request.booking.force) throw { code: 'double_booked', message: 'the vet is already booked 10:30–11:00' }
        board = clinic([{ ...bella, id: 'a2', starts_at_ms: at(10, 30), ends_at_ms: at(11), forced: true }])
        return 'a2'
      }
    })
    render(<DayBoard />, { wrapper: IpcProvider })
    fireEvent.click(await screen.findByRole('button', { name: 'Book at 10:30 with Dr Sam Stone' }))
    const form = await screen.findByTestId('booking-form')
    fireEvent.change(within(form).getByLabelText('Patient'), { target: { value: 'bel' } })
    fireEvent.click(await within(form).findByRole('button', { name: /Bella/ }))
    await within(form).findByTestId('booking-patient')
    fireEvent.click(within(form).getByRole('button', { name: 'Book' }))
    expect((await within(form).findByRole('alert')).textContent).toContain('already booked')
    fireEvent.click(within(form).getByTestId('book-anyway'))
    expect(await screen.findByTestId('appointment-panel')).toBeTruthy()
    expect(booked).toHaveLength(2)
    expect(booked[0]).toMatchObject({
      patient_id: 'p1',
      client_id: 'c1',
      vet_id: 'v2',
      starts_at: new Date(at(10, 30)).toISOString(),
      ends_at: new Date(at(11)).toISOString(),
      kind: 'consultation',
      force: false,
    })
    expect(booked[1]).toMatchObject({ force: true })
  })

  it('checks a patient in from the appointment', async () => {
    const moves: unknown[] = []
    let board = clinic([bella])
    mockIPC((cmd, args) => {
      if (cmd === 'day_board') return board
      if (cmd === 'set_appointment_status') {
        moves.push((args as { request: unknown }).request)
        board = clinic([{ ...bella, status: 'checked_in' }])
        return null
      }
    })
    render(<DayBoard />, { wrapper: IpcProvider })
    fireEvent.click(await screen.findByRole('button', { name: /09:00 Bella \(Ann Ng\), Booked/ }))
    const panel = await screen.findByTestId('appointment-panel')
    fireEvent.click(within(panel).getByRole('button', { name: 'Check in' }))
    expect((await within(panel).findByText('Checked in')).textContent).toBe('Checked in')
    expect(moves).toEqual([{ id: 'a1', status: 'checked_in' }])
  })

  it('moves with Alt+Down, resizes with Alt+Shift+Down, and takes a drop into another column', async () => {
    const moves: { id?: string; booking: { vet_id: string; starts_at: string; ends_at: string } }[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'day_board') return clinic([bella])
      if (cmd === 'book') {
        moves.push((args as { request: (typeof moves)[number] }).request)
        return 'a1'
      }
    })
    render(<DayBoard />, { wrapper: IpcProvider })
    const block = await screen.findByRole('button', { name: /09:00 Bella/ })
    fireEvent.keyDown(block, { key: 'ArrowDown', altKey: true })
    fireEvent.keyDown(block, { key: 'ArrowDown', altKey: true, shiftKey: true })
    const data = new Map<string, string>()
    const dataTransfer = { setData: (k: string, v: string) => data.set(k, v), getData: (k: string) => data.get(k) ?? '' }
    fireEvent.dragStart(block, { dataTransfer })
    fireEvent.drop(screen.getByRole('button', { name: 'Book at 14:00 with Dr Sam Stone' }), { dataTransfer })
    await screen.findByRole('button', { name: /09:00 Bella/ })
    await new Promise((r) => setTimeout(r, 0))
    expect(moves.map((m) => [m.id, m.booking.vet_id, m.booking.starts_at, m.booking.ends_at])).toEqual([
      ['a1', 'v1', new Date(at(9, 15)).toISOString(), new Date(at(9, 45)).toISOString()],
      ['a1', 'v1', new Date(at(9)).toISOString(), new Date(at(9, 45)).toISOString()],
      ['a1', 'v2', new Date(at(14)).toISOString(), new Date(at(14, 30)).toISOString()],
    ])
  })

  it('marks double bookings that sync brought in', async () => {
    const other = { ...bella, id: 'a9', patient_name: 'Rex', client_name: 'Bo Li' }
    mockIPC((cmd) => {
      if (cmd === 'day_board')
        return clinic([bella, other], {
          clashes: [{ resource: 'vet', first: 'a1', second: 'a9', starts_at_ms: at(9), forced: false }],
        })
    })
    render(<DayBoard />, { wrapper: IpcProvider })
    expect((await screen.findByTestId('clashes')).textContent).toContain('1')
    expect(screen.getAllByText('double-booked')).toHaveLength(2)
  })

  it('books by type (its length and kind), greys hours outside work, marks blocks, and repeats weekly', async () => {
    const booked: unknown[] = []
    const xray = { id: 't1', name: 'X-ray', minutes: 45, colour: '#7a5cff', kind: 'other', resources: ['x1'] }
    const board = clinic([{ ...bella, type_id: 't1', resources: ['x1'] }], {
      types: [xray],
      windows: [{ staff_id: 'v1', starts_at_ms: at(9), ends_at_ms: at(17) }],
      blocks: [{ id: 'b1', staff_id: null, resource_id: 'x1', starts_at_ms: at(14), ends_at_ms: at(15), kind: 'out_of_service', reason: 'servicing' }],
      // The clinic's pattern: X-rays 17:00–18:00 with any vet.
      templates: [{ template_id: 'tp1', type_id: 't1', staff_id: null, starts_at_ms: at(17), ends_at_ms: at(18) }],
    })
    mockIPC((cmd, args) => {
      if (cmd === 'day_board') return board
      if (cmd === 'search') return [{ kind: 'patient', id: 'p1', title: 'Bella', detail: 'dog · Ng', score: 1 }]
      if (cmd === 'patient_detail') return { id: 'p1', name: 'Bella', owners: [{ client_id: 'c1', name: 'Ann Ng', primary: true }] }
      if (cmd === 'book') {
        const { request } = args as { request: { booking: { force: boolean } } }
        booked.push(request)
        if (!request.booking.force) throw { code: 'outside_hours', message: "outside Dr Vera Vet's working hours (09:00–17:00); choose another time or book anyway (force)" }
        return 'a9'
      }
    })
    render(<DayBoard />, { wrapper: IpcProvider })
    // Dr Vera Vet works 09:00–17:00: 08:00–09:00 and 17:00–19:00 are greyed; Dr Sam Stone has no hours set.
    const vera = await screen.findByRole('button', { name: 'Book at 08:00 with Dr Vera Vet' })
    const veraColumn = vera.closest('.board-column') as HTMLElement
    expect(within(veraColumn).getAllByTestId('off-hours')).toHaveLength(2)
    const sam = screen.getByRole('button', { name: 'Book at 08:00 with Dr Sam Stone' }).closest('.board-column') as HTMLElement
    expect(within(sam).queryAllByTestId('off-hours')).toHaveLength(0)
    // By room and equipment: the X-ray appointment shows in the X-ray room's column, with the block.
    fireEvent.change(screen.getByLabelText('Columns'), { target: { value: 'room' } })
    const xrayColumn = (await screen.findByRole('button', { name: 'Book at 08:00 with X-ray room' })).closest('.board-column') as HTMLElement
    expect(within(xrayColumn).getByRole('button', { name: /09:00 Bella/ })).toBeTruthy()
    expect(within(xrayColumn).getByTestId('blocked').textContent).toBe('Out of service: servicing')
    expect(screen.getByRole('columnheader', { name: 'Ultrasound' })).toBeTruthy()
    // Book an X-ray at 17:30, every week four times: core says it is outside hours, and Book anyway forces it.
    fireEvent.change(screen.getByLabelText('Columns'), { target: { value: 'vet' } })
    fireEvent.click(await screen.findByRole('button', { name: 'Book at 17:30 with Dr Vera Vet' }))
    const form = await screen.findByTestId('booking-form')
    fireEvent.change(within(form).getByLabelText('Patient'), { target: { value: 'bel' } })
    fireEvent.click(await within(form).findByRole('button', { name: /Bella/ }))
    await within(form).findByTestId('booking-patient')
    // The slot is in the pattern's X-ray span: the type and its length are chosen already.
    expect((within(form).getByLabelText('Appointment type') as HTMLSelectElement).value).toBe('t1')
    expect((within(form).getByLabelText('Length') as HTMLSelectElement).value).toBe('45')
    const veraAgain = screen.getByRole('button', { name: 'Book at 08:00 with Dr Vera Vet' }).closest('.board-column') as HTMLElement
    expect(within(veraAgain).getByTestId('template-band').textContent).toBe('X-ray')
    fireEvent.change(within(form).getByLabelText('Repeat'), { target: { value: '1' } })
    fireEvent.change(within(form).getByLabelText('How many in all'), { target: { value: '4' } })
    fireEvent.click(within(form).getByRole('button', { name: 'Book' }))
    expect((await within(form).findByRole('alert')).textContent).toContain('working hours')
    fireEvent.click(within(form).getByTestId('book-anyway'))
    await waitFor(() => expect(booked).toHaveLength(2))
    expect(booked[1]).toMatchObject({
      booking: { type_id: 't1', kind: 'other', force: true, ends_at: new Date(at(18, 15)).toISOString() },
      repeat: { every_weeks: 1, count: 4 },
    })
  })
})
