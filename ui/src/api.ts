// Typed calls into the Rust side. Every command rejects with an IpcError
// ({ code, message }); anything else that reaches us is wrapped as "internal" so the
// UI always has a readable message to show.
import { invoke } from '@tauri-apps/api/core'
import {
  Commands,
  type AppStatus,
  type BookingForm,
  type ClientDetail,
  type AuditFilter,
  type AuditView,
  type DayBoard,
  type DayRange,
  type DayStats,
  type DeviceRow,
  type CatalogItem,
  type ClosedDay,
  type Report,
  type CountOutcome,
  type Finalized,
  type InvoiceSummary,
  type InvoiceView,
  type SavedDocument,
  type StockAlert,
  type StockLevel,
  type EnrollRequest,
  type Invitation,
  type StaffRow,
  type DecideRequest,
  type EncounterView,
  type PatientChart,
  type PrescribeRequest,
  type PrescriptionOptions,
  type ScribeStatus,
  type SoapInput,
  type VitalsInput,
  type ClientInput,
  type ErrorCode,
  type Hit,
  type IpcError,
  type Patient,
  type PatientInput,
  type SecondFactorSetup,
  type SecondFactorStatus,
  type SessionView,
  type StaffCard,
  type SyncStatusView,
} from './bindings'

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
  enrollDevice: (request: EnrollRequest) => call<AppStatus>(Commands.enrollDevice, { request }),
  syncStatus: () => call<SyncStatusView>(Commands.syncStatus),
  syncNow: () => call<null>(Commands.syncNow),
  staffList: () => call<StaffCard[]>(Commands.staffList),
  signIn: (staffId: string, pin: string) =>
    call<SessionView>(Commands.signIn, { request: { staff_id: staffId, pin } }),
  signOut: () => call<null>(Commands.signOut),
  currentSession: () => call<SessionView | null>(Commands.currentSession),
  search: (query: string, limit = 12) => call<Hit[]>(Commands.search, { request: { query, limit } }),
  clientDetail: (id: string) => call<ClientDetail>(Commands.clientDetail, { request: { id } }),
  saveClient: (client: ClientInput, id?: string) =>
    call<string>(Commands.saveClient, { request: { id, client } }),
  patientDetail: (id: string) => call<Patient>(Commands.patientDetail, { request: { id } }),
  savePatient: (patient: PatientInput, owners: string[], id?: string) =>
    call<string>(Commands.savePatient, { request: { id, patient, owners } }),
  dayBoard: (from: string, to: string) => call<DayBoard>(Commands.dayBoard, { request: { from, to } }),
  book: (booking: BookingForm, id?: string) => call<string>(Commands.book, { request: { id, booking } }),
  setAppointmentStatus: (id: string, status: string) =>
    call<null>(Commands.setAppointmentStatus, { request: { id, status } }),
  waitlistAdd: (patientId: string, clientId: string, vetId: string | undefined, reason: string) =>
    call<string>(Commands.waitlistAdd, {
      request: { patient_id: patientId, client_id: clientId, vet_id: vetId, reason },
    }),
  waitlistRemove: (id: string, booked: boolean) =>
    call<null>(Commands.waitlistRemove, { request: { id, booked } }),
  patientChart: (id: string) => call<PatientChart>(Commands.patientChart, { request: { id } }),
  openExam: (appointmentId: string) => call<string>(Commands.openExam, { request: { id: appointmentId } }),
  encounterView: (id: string) => call<EncounterView>(Commands.encounterView, { request: { id } }),
  saveSoap: (encounterId: string, soap: SoapInput) =>
    call<null>(Commands.saveSoap, { request: { encounter_id: encounterId, soap } }),
  signEncounter: (id: string) => call<string>(Commands.signEncounter, { request: { id } }),
  addAddendum: (encounterId: string, text: string) =>
    call<string>(Commands.addAddendum, { request: { encounter_id: encounterId, text } }),
  decideDraftItem: (request: DecideRequest) => call<string[]>(Commands.decideDraftItem, { request }),
  approveDraft: (id: string) => call<number>(Commands.approveDraft, { request: { id } }),
  scribeStatus: () => call<ScribeStatus>(Commands.scribeStatus),
  startRecording: (encounterId: string, overrideReason?: string) =>
    call<string>(Commands.startRecording, {
      request: { encounter_id: encounterId, override_reason: overrideReason },
    }),
  pauseRecording: (paused: boolean) => call<null>(Commands.pauseRecording, { request: { paused } }),
  stopRecording: () => call<string>(Commands.stopRecording),
  draftFromFile: (encounterId: string, path: string) =>
    call<string>(Commands.draftFromFile, { request: { encounter_id: encounterId, path } }),
  dashboard: (days: DayRange[]) => call<DayStats[]>(Commands.dashboard, { request: { days } }),
  staffAll: () => call<StaffRow[]>(Commands.staffAll),
  addStaff: (name: string, roles: string[], pin: string) =>
    call<string>(Commands.addStaff, { request: { name, roles, pin } }),
  deactivateStaff: (id: string) => call<null>(Commands.deactivateStaff, { request: { id } }),
  auditSearch: (filter: AuditFilter) => call<AuditView>(Commands.auditSearch, { request: filter }),
  resolveConflict: (rowId: string, column: string, loserHlc: string, resolution: string) =>
    call<null>(Commands.resolveConflict, {
      request: { row_id: rowId, column, loser_hlc: loserHlc, resolution },
    }),
  setStaffRoles: (id: string, roles: string[]) => call<null>(Commands.setStaffRoles, { request: { id, roles } }),
  secondFactorStatus: () => call<SecondFactorStatus>(Commands.secondFactorStatus),
  secondFactorBegin: () => call<SecondFactorSetup>(Commands.secondFactorBegin),
  secondFactorFinish: (secret: string, code: string) =>
    call<string[]>(Commands.secondFactorFinish, { request: { secret, code } }),
  secondFactorConfirm: (code: string) =>
    call<SecondFactorStatus>(Commands.secondFactorConfirm, { request: { code } }),
  secondFactorReset: (staffId: string) => call<null>(Commands.secondFactorReset, { request: { id: staffId } }),
  devicesList: () => call<DeviceRow[]>(Commands.devicesList),
  deviceInvite: () => call<Invitation>(Commands.deviceInvite),
  deviceApprove: (id: string, fingerprint: string, manages: boolean) =>
    call<null>(Commands.deviceApprove, { request: { id, fingerprint, manages } }),
  deviceRevoke: (id: string) => call<null>(Commands.deviceRevoke, { request: { id } }),
  prescribe: (request: PrescribeRequest) => call<string>(Commands.prescribe, { request }),
  prescriptionOptions: () => call<PrescriptionOptions>(Commands.prescriptionOptions),
  invoicesList: (status?: string) => call<InvoiceSummary[]>(Commands.invoicesList, { request: { status } }),
  invoiceView: (id: string) => call<InvoiceView>(Commands.invoiceView, { request: { id } }),
  catalogList: (query = '') => call<CatalogItem[]>(Commands.catalogList, { request: { query } }),
  invoiceAddLine: (invoiceId: string, itemId: string, quantity: string, discount: string) =>
    call<string>(Commands.invoiceAddLine, {
      request: { invoice_id: invoiceId, item_id: itemId, quantity, discount },
    }),
  invoiceFinalize: (id: string) => call<Finalized>(Commands.invoiceFinalize, { request: { id } }),
  invoicePay: (invoiceId: string, method: string, amount: string) =>
    call<InvoiceView>(Commands.invoicePay, { request: { invoice_id: invoiceId, method, amount } }),
  invoicePdf: (id: string) => call<SavedDocument>(Commands.invoicePdf, { request: { id } }),
  visitSummaryPdf: (encounterId: string, discharge: string) =>
    call<SavedDocument>(Commands.visitSummaryPdf, { request: { encounter_id: encounterId, discharge } }),
  invoiceLabels: (id: string) => call<SavedDocument[]>(Commands.invoiceLabels, { request: { id } }),
  registerClose: (day: string, from: string, to: string) =>
    call<ClosedDay>(Commands.registerClose, { request: { day, from, to } }),
  report: (kind: string, from: string, to: string) => call<Report>(Commands.report, { request: { kind, from, to } }),
  reportCsv: (kind: string, from: string, to: string) =>
    call<SavedDocument>(Commands.reportCsv, { request: { kind, from, to } }),
  stockLevels: () => call<StockLevel[]>(Commands.stockLevels),
  stockAlerts: () => call<StockAlert[]>(Commands.stockAlerts),
  stockReceive: (itemId: string, lotNumber: string, expiresOn: string, quantity: string, cost: string) =>
    call<string>(Commands.stockReceive, {
      request: { item_id: itemId, lot_number: lotNumber, expires_on: expiresOn, quantity, cost },
    }),
  stockCount: (itemId: string, counted: string, note: string) =>
    call<CountOutcome>(Commands.stockCount, { request: { item_id: itemId, counted, note } }),
  recordVitals: (encounterId: string, vitals: VitalsInput) =>
    call<string>(Commands.recordVitals, { request: { encounter_id: encounterId, vitals } }),
}
