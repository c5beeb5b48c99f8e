// The day board with IPC mocked: booking from an empty slot (and over a clash only when
// asked), check-in, a keyboard move, a drop into another vet's column, clashes shown.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
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
}

function clinic(appointments: Appointment[], extra: Partial<Board> = {}): Board {
  return {
    vets: [
      { id: 'v1', name: 'Dr Vera Vet', roles: ['vet'] },
      { id: 'v2', name: 'Dr Sam Stone', roles: ['vet'] },
    ],
    rooms: [{ id: 'r1', name: 'Exam 1', kind: 'exam' }],
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
})
