// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc`. Do not edit.

export type ErrorCode = "not_initialized" | "already_initialized" | "passphrase_required" | "wrong_passphrase" | "wrong_key" | "keyring_unavailable" | "database_too_new" | "invalid" | "damaged" | "forbidden" | "wrong_pin" | "not_found" | "double_booked" | "encounter_signed" | "not_allowed_now" | "signed_out" | "internal";

export type IpcError = { code: ErrorCode, message: string, 
/**
 * For `invalid`: the input field at fault, as the form names it (`first_name`,
 * `date_of_birth`), so the message is shown beside that field.
 */
field?: string, };

export type KeyProtectionKind = "os_keyring" | "passphrase";

export type AppStatus = { clinic_name: string, clinic_id: string, device_id: string, schema_version: number, key_protection: KeyProtectionKind, 
/**
 * SQLCipher's version as reported by the open database.
 */
cipher_version: string, data_dir: string, app_version: string, };

export type UnlockRequest = { passphrase: string, };

export type SyncStatusView = { 
/**
 * Whether sync is set up on this device at all.
 */
set_up: boolean, 
/**
 * Whether the last round reached the server (`null` until one has ended).
 */
online: boolean | null, syncing: boolean, 
/**
 * This device's changes not yet acknowledged by the server.
 */
pending: number, 
/**
 * RFC 3339 time of the last successful round.
 */
last_success: string | null, 
/**
 * The last failure, as a sentence for people.
 */
last_error: string | null, 
/**
 * Set when this device's clock, or another device's, is off by more than an hour.
 */
clock_skew_warning: boolean, };

export type StaffCard = { id: string, name: string, 
/**
 * `admin`, `vet`, `nurse`, `front_desk`.
 */
roles: Array<string>, };

export type SignInRequest = { staff_id: string, pin: string, };

export type SessionView = { staff_id: string, name: string, roles: Array<string>, 
/**
 * Seconds without a command before the session locks (the UI locks itself then too).
 */
idle_lock_seconds: number, };

export type SearchRequest = { query: string, 
/**
 * At most this many hits (1–50).
 */
limit: number, };

export type HitKind = "client" | "patient";

export type Hit = { kind: HitKind, id: string, 
/**
 * "Ann Ng" or "Bella"
 */
title: string, 
/**
 * The phone/email of a client; the species and owners of a patient.
 */
detail: string, 
/**
 * Higher is better.
 */
score: number, };

export type ClientInput = { first_name: string, last_name: string, phone: string | null, email: string | null, address: string | null, consent_email: boolean, consent_sms: boolean, 
/**
 * Consent to record audio in the exam room.
 */
consent_recording: boolean, notes: string | null, };

export type Client = { id: string, created_at: string, first_name: string, last_name: string, phone: string | null, email: string | null, address: string | null, consent_email: boolean, consent_sms: boolean, 
/**
 * Consent to record audio in the exam room.
 */
consent_recording: boolean, notes: string | null, };

export type PatientInput = { name: string, species: string, breed: string | null, sex: string, neutered: boolean, 
/**
 * `YYYY-MM-DD`.
 */
date_of_birth: string | null, microchip: string | null, colour: string | null, allergies: string | null, alerts: string | null, deceased: boolean, };

export type Patient = { id: string, owners: Array<Owner>, created_at: string, name: string, species: string, breed: string | null, sex: string, neutered: boolean, 
/**
 * `YYYY-MM-DD`.
 */
date_of_birth: string | null, microchip: string | null, colour: string | null, allergies: string | null, alerts: string | null, deceased: boolean, };

export type Owner = { client_id: string, name: string, primary: boolean, };

export type ClientDetail = { client: Client, patients: Array<Patient>, };

export type SaveClientRequest = { id?: string, client: ClientInput, };

export type SavePatientRequest = { id?: string, patient: PatientInput, 
/**
 * Client ids; a new patient needs at least one.
 */
owners: Array<string>, };

export type IdRequest = { id: string, };

export type Room = { id: string, name: string, kind: string, };

export type Status = "booked" | "checked_in" | "in_exam" | "done" | "no_show" | "cancelled";

export type Appointment = { id: string, patient_id: string, patient_name: string, client_id: string, client_name: string, vet_id: string, room_id: string | null, starts_at_ms: number, ends_at_ms: number, kind: string, reason: string | null, status: Status, forced: boolean, };

export type Clash = { resource: string, first: string, second: string, starts_at_ms: number, 
/**
 * Whether either was booked over the clash on purpose.
 */
forced: boolean, };

export type WaitlistEntry = { id: string, patient_id: string, patient_name: string, client_id: string, client_name: string, vet_id: string | null, reason: string, created_at: string, };

export type DayBoardRequest = { from: string, to: string, };

export type DayBoard = { vets: Array<StaffCard>, rooms: Array<Room>, appointments: Array<Appointment>, clashes: Array<Clash>, waitlist: Array<WaitlistEntry>, };

export type BookingForm = { patient_id: string, client_id: string, vet_id: string, room_id?: string, 
/**
 * RFC 3339.
 */
starts_at: string, 
/**
 * RFC 3339.
 */
ends_at: string, kind: string, reason?: string, 
/**
 * Book over a clash on purpose (audited).
 */
force: boolean, };

export type BookRequest = { id?: string, booking: BookingForm, };

export type AppointmentStatusRequest = { id: string, status: string, };

export type WaitlistAddRequest = { patient_id: string, client_id: string, vet_id?: string, reason: string, };

export type WaitlistRemoveRequest = { id: string, booked: boolean, };

export const Commands = {
  appStatus: "app_status",
  unlockStore: "unlock_store",
  syncStatus: "sync_status",
  syncNow: "sync_now",
  staffList: "staff_list",
  signIn: "sign_in",
  signOut: "sign_out",
  currentSession: "current_session",
  search: "search",
  clientDetail: "client_detail",
  saveClient: "save_client",
  patientDetail: "patient_detail",
  savePatient: "save_patient",
  dayBoard: "day_board",
  book: "book",
  setAppointmentStatus: "set_appointment_status",
  waitlistAdd: "waitlist_add",
  waitlistRemove: "waitlist_remove",
} as const;
