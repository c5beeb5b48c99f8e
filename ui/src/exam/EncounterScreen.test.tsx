// The exam screen with IPC mocked: the chart's alerts, the draft beside its evidence, a
// flagged dose approved only with a reason, SOAP saved, signing, addenda.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { EncounterScreen } from './EncounterScreen'
import { IpcProvider } from '../ipc/IpcProvider'
import type { DraftView, EncounterView, PatientChart } from '../ipc/bindings'
import { describeFlag, describeItem } from './scribeText'
import { translator } from '../shared/i18n'

afterEach(() => {
  cleanup()
  clearMocks()
})

const chart: PatientChart = {
  patient: {
    id: 'p1',
    number: '7F3A2C-42',
    created_at: '2026-01-01T00:00:00Z',
    name: 'Tom',
    species: 'cat',
    breed: null,
    sex: 'male',
    neutered: true,
    date_of_birth: '2020-03-01',
    microchip: null,
    colour: null,
    allergies: 'penicillin',
    alerts: 'bites',
    deceased: false,
    owners: [{ client_id: 'c1', name: 'Ann Okafor', primary: true }],
  },
  weights: [
    { id: 'w1', kg: 4.1, measured_at: '2026-05-01T09:00:00Z' },
    { id: 'w2', kg: 4.0, measured_at: '2026-11-01T09:00:00Z' },
  ],
  timeline: [{ id: 'e1', started_at: '2026-11-23T09:00:00Z', vet_id: 'v1', signed: false }],
  prescriptions: [],
}

const draft: DraftView = {
  id: 'd1',
  encounter_id: 'e1',
  model_file: 'ggml-tiny.en.bin',
  model_sha256: 'f4709d14d47dbb78b7f72c6a07224d04d9eb21739972da1b7ab30bb3c35cbb57',
  transcript_version: 1,
  segments: [{ start_ms: 0, end_ms: 7000, text: 'Meloxicam 0.4 milligrams by mouth once daily for three days.' }],
  items: [
    {
      id: 'i1',
      status: 'pending',
      decisions: [],
      item: {
        kind: 'medication',
        drug: 'Meloxicam',
        dose: 0.4,
        unit: 'mg',
        mg_per_kg: 0.1,
        route: 'oral',
        times_per_day: 1,
        duration_days: 3,
      },
      evidence: { segment: 0, start: 0, end: 60, quote: 'Meloxicam 0.4 milligrams by mouth once daily for three days', start_ms: 1200, end_ms: 6800 },
      flags: [{ flag: 'dose_out_of_range', mg_per_kg: 0.1, min: 0.025, max: 0.05 }],
    },
  ],
}

function encounter(signed: boolean): EncounterView {
  return {
    encounter: {
      id: 'e1',
      patient_id: 'p1',
      appointment_id: 'a1',
      vet_id: 'v1',
      started_at: '2026-11-23T09:00:00Z',
      soap: { subjective: 'Bright.', objective: null, assessment: null, plan: null },
      signed: signed ? { signed_by: 'v1', signed_at: '2026-11-23T09:30:00Z', content_hash: 'abc123' } : null,
      addenda: [],
      diagnoses: [],
      vitals: [],
    },
    drafts: [draft],
    conflicts: [],
  }
}

describe('EncounterScreen', () => {
  it('shows alerts first and the draft beside its words; a flagged dose needs a reason', async () => {
    const decided: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'patient_chart') return chart
      if (cmd === 'encounter_view') return encounter(false)
      if (cmd === 'scribe_status') return { model: 'ggml-tiny.en.bin', recording: null, working: null }
      if (cmd === 'decide_draft_item') {
        decided.push((args as { request: unknown }).request)
        return ['rx1']
      }
    })
    render(<EncounterScreen encounterId="e1" patientId="p1" onBack={() => {}} />, { wrapper: IpcProvider })
    expect((await screen.findByTestId('chart-alerts')).textContent).toContain('penicillin')
    expect(screen.getByTestId('patient-number').textContent).toBe('Patient no.: 7F3A2C-42')
    const item = await screen.findByText(/Medication: Meloxicam, 0.4 mg/)
    const row = item.closest('li') as HTMLElement
    expect(row.textContent).toContain('00:01–00:06')
    expect(within(row).getByRole('alert').textContent).toContain('outside 0.03–0.05 mg/kg')
    const approve = within(row).getByRole('button', { name: 'Approve' }) as HTMLButtonElement
    expect(approve.disabled).toBe(true)
    expect((screen.getByTestId('approve-all') as HTMLButtonElement).disabled).toBe(true)
    fireEvent.change(within(row).getByLabelText('Why this dose is right'), { target: { value: 'single loading dose' } })
    fireEvent.click(approve)
    await screen.findByTestId('draft')
    expect(decided).toEqual([
      { item_id: 'i1', decision: 'approve', item: undefined, reason: 'single loading dose', settle: false },
    ])
  })

  it('saves the SOAP note with Ctrl+S and signs; a signed record takes addenda only', async () => {
    let signed = false
    const calls: string[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'patient_chart') return chart
      if (cmd === 'encounter_view') return encounter(signed)
      if (cmd === 'scribe_status') return { model: null, recording: null, working: null }
      if (cmd === 'save_soap') {
        calls.push(`save:${JSON.stringify((args as { request: { soap: unknown } }).request.soap)}`)
        return null
      }
      if (cmd === 'sign_encounter') {
        signed = true
        calls.push('sign')
        return 'abc123'
      }
    })
    render(<EncounterScreen encounterId="e1" patientId="p1" onBack={() => {}} />, { wrapper: IpcProvider })
    const plan = await screen.findByLabelText('Plan')
    fireEvent.change(plan, { target: { value: 'Recheck in a week.' } })
    fireEvent.keyDown(plan, { key: 's', ctrlKey: true })
    await screen.findByText('Saved.')
    fireEvent.click(screen.getByTestId('sign'))
    expect(await screen.findByTestId('signed')).toBeTruthy()
    expect((screen.getByLabelText('Plan') as HTMLTextAreaElement).readOnly).toBe(true)
    expect(screen.queryByTestId('scribe')).toBeNull()
    expect(calls).toEqual([
      'save:{"subjective":"Bright.","objective":null,"assessment":null,"plan":"Recheck in a week."}',
      'sign',
    ])
  })
})

describe('EncounterScreen, the rest of the exam', () => {
  it('records vitals and settles an edit made elsewhere at the same time', async () => {
    const calls: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'patient_chart') return chart
      if (cmd === 'encounter_view')
        return {
          ...encounter(false),
          drafts: [],
          conflicts: [
            {
              table: 'encounters',
              row_id: 'e1',
              column: 'assessment',
              loser_hlc: 'ab12',
              other_value: 'Otitis, left ear',
              visible_value: 'Otitis',
            },
          ],
        }
      if (cmd === 'scribe_status') return { model: null, recording: null, working: null }
      if (cmd === 'record_vitals' || cmd === 'resolve_conflict') {
        calls.push([cmd, (args as { request: unknown }).request])
        return cmd === 'record_vitals' ? 'v1' : null
      }
    })
    render(<EncounterScreen encounterId="e1" patientId="p1" onBack={() => {}} />, { wrapper: IpcProvider })
    const conflicts = await screen.findByTestId('conflicts')
    expect(conflicts.textContent).toContain('Assessment: Otitis, left ear')
    fireEvent.click(within(conflicts).getByRole('button', { name: 'Take this version' }))
    const form = screen.getByTestId('vitals-form')
    fireEvent.change(within(form).getByLabelText('Weight (kg)'), { target: { value: '4,2' } })
    fireEvent.change(within(form).getByLabelText('Heart rate (/min)'), { target: { value: '180' } })
    fireEvent.click(within(form).getByRole('button', { name: 'Record vitals' }))
    await screen.findByTestId('vitals-form')
    await new Promise((r) => setTimeout(r, 0))
    expect(calls).toEqual([
      ['resolve_conflict', { row_id: 'e1', column: 'assessment', loser_hlc: 'ab12', resolution: 'take_other' }],
      [
        'record_vitals',
        { encounter_id: 'e1', vitals: { weight_kg: 4.2, temperature_c: null, heart_rate: 180, respiratory_rate: null } },
      ],
    ])
  })
})

describe('EncounterScreen, prescribing', () => {
  it('writes a prescription with the units and routes core accepts, and shows its refusal', async () => {
    const sent: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'patient_chart') return chart
      if (cmd === 'encounter_view') return { ...encounter(false), drafts: [] }
      if (cmd === 'scribe_status') return { model: null, recording: null, working: null }
      if (cmd === 'prescription_options') return { units: ['mg', 'ml'], routes: ['oral', 'otic'] }
      if (cmd === 'prescribe') {
        sent.push((args as { request: unknown }).request)
        throw { code: 'forbidden', message: 'not allowed: prescribe needs a role that grants it (signed in as nurse)' }
      }
    })
    render(<EncounterScreen encounterId="e1" patientId="p1" onBack={() => {}} />, { wrapper: IpcProvider })
    const form = await screen.findByTestId('prescribe-form')
    await within(form).findByRole('option', { name: 'otic' })
    fireEvent.change(within(form).getByLabelText('Drug'), { target: { value: 'Meloxicam' } })
    fireEvent.change(within(form).getByLabelText('Dose'), { target: { value: '0,2' } })
    fireEvent.change(within(form).getByLabelText('Days'), { target: { value: '5' } })
    fireEvent.change(within(form).getByLabelText('How often (e.g. twice daily)'), { target: { value: 'once daily' } })
    fireEvent.click(within(form).getByRole('button', { name: 'Prescribe' }))
    expect((await screen.findByRole('alert')).textContent).toContain('Your role does not allow this')
    expect(sent).toEqual([
      {
        encounter_id: 'e1',
        drug: 'Meloxicam',
        dose: 0.2,
        unit: 'mg',
        route: 'oral',
        frequency: 'once daily',
        duration_days: 5,
        quantity: 5,
        refills: 0,
        instructions: undefined,
      },
    ])
  })
})

describe('scribe wording', () => {
  it('reads items and flags in both languages', () => {
    const en = translator('en')
    const uk = translator('uk')
    expect(describeItem({ kind: 'weight', kg: 4.25 }, en)).toBe('Weight 4.25 kg')
    expect(describeItem({ kind: 'temperature', celsius: 39.1 }, uk)).toBe('Температура 39.1 °C')
    expect(describeFlag({ flag: 'heard_as', heard: 'tada max' }, en)).toBe('The drug was heard as “tada max”')
  })
})
