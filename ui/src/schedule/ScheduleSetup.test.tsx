// The diary's set-up with the IPC mocked: the X-ray room added, an "X-ray" type that
// needs it, a vet's Monday hours typed as people write them (and a line that does not
// read refused before it is sent), a meeting blocked; core's refusal shown as it came.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { ScheduleSetup } from './ScheduleSetup'
import { spansOf, textOf } from './hours'
import { IpcProvider } from '../ipc/IpcProvider'
import type { ScheduleSetupView } from '../ipc/bindings'

afterEach(() => {
  cleanup()
  clearMocks()
})

describe('hours', () => {
  it('reads a working day as people type it', () => {
    expect(spansOf('09:00-12:30, 13:30 – 18:00')).toEqual([
      { starts: '09:00', ends: '12:30' },
      { starts: '13:30', ends: '18:00' },
    ])
    expect(spansOf('')).toEqual([])
    expect(spansOf('all day')).toBeNull()
    const hours = [
      { staff_id: 'v1', weekday: 1, starts: '09:00', ends: '12:30' },
      { staff_id: 'v1', weekday: 1, starts: '13:30', ends: '18:00' },
      { staff_id: 'v2', weekday: 1, starts: '08:00', ends: '16:00' },
    ]
    expect(textOf(hours, 'v1', 1)).toBe('09:00-12:30, 13:30-18:00')
    expect(textOf(hours, 'v1', 2)).toBe('')
  })
})

describe('ScheduleSetup', () => {
  it('adds the X-ray room, a type that needs it, a vet’s Monday, and a meeting', async () => {
    const asked: Record<string, unknown[]> = {}
    const setup: ScheduleSetupView = {
      vets: [{ id: 'v1', name: 'Dr Vera Vet', roles: ['vet'] }],
      resources: [],
      types: [],
      hours: [],
      templates: [],
    }
    mockIPC((cmd, args) => {
      const request = (args as { request?: Record<string, unknown> } | undefined)?.request
      ;(asked[cmd] ??= []).push(request)
      switch (cmd) {
        case 'schedule_setup':
          return setup
        case 'resource_add':
          if (request?.name === '') throw { code: 'invalid', field: 'name', message: 'name is required' }
          setup.resources = [{ id: 'x1', name: 'X-ray room', kind: 'x-ray', category: 'room' }]
          return 'x1'
        case 'appointment_type_save':
          setup.types = [{ id: 't1', name: 'X-ray', minutes: 45, colour: '#3a7bd5', kind: 'other', resources: ['x1'] }]
          return 't1'
        case 'work_hours_set':
          setup.hours = [
            { staff_id: 'v1', weekday: 1, starts: '09:00', ends: '12:30' },
            { staff_id: 'v1', weekday: 1, starts: '13:30', ends: '18:00' },
          ]
          return null
        case 'block_add':
          return 'b1'
      }
    })
    render(<ScheduleSetup />, { wrapper: IpcProvider })
    const resources = await screen.findByTestId('resource-form')
    fireEvent.click(within(resources).getByRole('button', { name: 'Add' }))
    expect((await within(resources).findByRole('alert')).textContent).toContain('name is required')
    fireEvent.change(within(resources).getByTestId('resource-name'), { target: { value: 'X-ray room' } })
    fireEvent.change(within(resources).getByTestId('resource-kind'), { target: { value: 'x-ray' } })
    fireEvent.click(within(resources).getByRole('button', { name: 'Add' }))
    await within(screen.getByTestId('resources')).findByText(/X-ray room/)

    const types = screen.getByTestId('type-form')
    fireEvent.change(within(types).getByTestId('type-name'), { target: { value: 'X-ray' } })
    fireEvent.change(within(types).getByTestId('type-minutes'), { target: { value: '45' } })
    fireEvent.change(within(types).getByTestId('type-kind'), { target: { value: 'other' } })
    fireEvent.click(await within(types).findByRole('checkbox', { name: 'X-ray room' }))
    fireEvent.click(within(types).getByTestId('save-type'))
    await waitFor(() =>
      expect(asked.appointment_type_save).toEqual([
        { name: 'X-ray', minutes: '45', colour: '#3a7bd5', kind: 'other', resources: ['x1'] },
      ]),
    )
    expect((await screen.findByTestId('types')).textContent).toContain('Needs: X-ray room')

    // Monday, typed as people write it; a line that does not read is refused here.
    const monday = screen.getByTestId('hours-1')
    fireEvent.change(monday, { target: { value: 'mornings' } })
    fireEvent.keyDown(monday, { key: 'Enter' })
    expect((await screen.findByRole('alert')).textContent).toContain('Monday')
    fireEvent.change(monday, { target: { value: '09:00-12:30, 13:30-18:00' } })
    fireEvent.click(screen.getByTestId('save-hours-1'))
    await waitFor(() =>
      expect(asked.work_hours_set).toEqual([
        { staff_id: 'v1', weekday: 1, spans: [{ starts: '09:00', ends: '12:30' }, { starts: '13:30', ends: '18:00' }] },
      ]),
    )

    const block = screen.getByTestId('block-form')
    fireEvent.change(within(block).getByTestId('block-day'), { target: { value: '2026-11-23' } })
    fireEvent.change(within(block).getByTestId('block-who'), { target: { value: 'staff:v1' } })
    fireEvent.change(within(block).getByTestId('block-reason'), { target: { value: 'practice meeting' } })
    fireEvent.click(within(block).getByRole('button', { name: 'Block time' }))
    await within(block).findByText('Blocked.')
    expect(asked.block_add?.[0]).toMatchObject({
      staff_id: 'v1',
      kind: 'meeting',
      reason: 'practice meeting',
      starts_at: new Date('2026-11-23T12:00').toISOString(),
      ends_at: new Date('2026-11-23T13:00').toISOString(),
    })
  })
})
