// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc`. Do not edit.

export type ErrorCode = "not_initialized" | "already_initialized" | "passphrase_required" | "wrong_passphrase" | "wrong_key" | "keyring_unavailable" | "database_too_new" | "invalid" | "damaged" | "forbidden" | "wrong_pin" | "second_factor_not_enrolled" | "second_factor_required" | "wrong_second_factor" | "not_found" | "double_booked" | "outside_hours" | "encounter_signed" | "not_allowed_now" | "awaiting_approval" | "signed_out" | "offline" | "internal";

export type IpcError = { code: ErrorCode, message: string, 
/**
 * For `invalid`: the input field at fault, as the form names it (`first_name`,
 * `date_of_birth`), so the message is shown beside that field.
 */
field?: string, };

export type KeyProtectionKind = "os_keyring" | "passphrase";

export type AppStatus = { clinic_name: string, clinic_id: string, device_id: string, 
/**
 * What staff call this device, given at enrollment.
 */
device_name: string | null, 
/**
 * The short form of this device's key, to compare with the admin's screen.
 */
device_fingerprint: string, schema_version: number, key_protection: KeyProtectionKind, 
/**
 * SQLCipher's version as reported by the open database.
 */
cipher_version: string, data_dir: string, app_version: string, };

export type UnlockRequest = { passphrase: string, };

export type EnrollRequest = { server: string, code: string, device_name: string, 
/**
 * Protects this device's key where the computer has no OS keyring; ignored
 * where it has one.
 */
passphrase: string | null, 
/**
 * Plain `http://` to an IP address on the clinic's own network was allowed by the
 * person enrolling (else only `https://`, or `http://` to this computer).
 */
allow_lan_http: boolean, 
/**
 * The clinic's own certificate authority (PEM), for a server whose certificate no
 * public CA signed; trusted, and only it, for this server. Empty: the web's roots.
 */
ca_cert: string | null, };

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
clock_skew_warning: boolean, 
/**
 * This device is enrolled and waits for an admin to approve it.
 */
awaiting_approval: boolean, 
/**
 * Other devices' changes set aside instead of applied, and envelopes that did not
 * open (`vetdesk sync quarantine` lists them): sync goes on without them.
 */
set_aside: number, 
/**
 * This device's own clock ran ahead: the server refuses its changes until then.
 */
own_clock_ahead: boolean, };

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

export type Patient = { id: string, 
/**
 * The number people read out and type (`7F3A2C-42`); none for a patient from
 * before numbers until it is next saved.
 */
number: string | null, owners: Array<Owner>, created_at: string, name: string, species: string, breed: string | null, sex: string, neutered: boolean, 
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

export type Appointment = { id: string, patient_id: string, patient_name: string, client_id: string, client_name: string, vet_id: string, room_id: string | null, starts_at_ms: number, ends_at_ms: number, kind: string, reason: string | null, status: Status, forced: boolean, type_id: string | null, 
/**
 * Rooms and equipment it holds besides its room (from its type).
 */
resources: Array<string>, 
/**
 * The recurring series it belongs to.
 */
series_id: string | null, };

export type Clash = { resource: string, first: string, second: string, starts_at_ms: number, 
/**
 * Whether either was booked over the clash on purpose.
 */
forced: boolean, };

export type WaitlistEntry = { id: string, patient_id: string, patient_name: string, client_id: string, client_name: string, vet_id: string | null, reason: string, created_at: string, };

export type DayBoardRequest = { from: string, to: string, };

export type DayBoard = { vets: Array<StaffCard>, rooms: Array<Room>, 
/**
 * Rooms and equipment, for the board's resource columns.
 */
resources: Array<Resource>, types: Array<AppointmentType>, 
/**
 * Each vet's working spans that day (none listed for a vet: no hours set).
 */
windows: Array<WorkingWindow>, blocks: Array<Block>, 
/**
 * The clinic's booking pattern that day.
 */
templates: Array<TemplateSlot>, appointments: Array<Appointment>, clashes: Array<Clash>, waitlist: Array<WaitlistEntry>, };

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
force: boolean, 
/**
 * The clinic's appointment type (its kind and the rooms and equipment it holds).
 */
type_id?: string, };

export type RepeatForm = { every_weeks: number, count: number, };

export type ResourceRequest = { name: string, kind: string, 
/**
 * `room` or `equipment`.
 */
category: string, };

export type AppointmentTypeRequest = { id?: string, name: string, minutes: string, colour: string, kind: string, resources: Array<string>, };

export type SpanForm = { starts: string, ends: string, };

export type WorkHoursRequest = { staff_id: string, weekday: number, spans: Array<SpanForm>, };

export type BlockRequest = { staff_id?: string, resource_id?: string, starts_at: string, ends_at: string, kind: string, reason: string, };

export type ScheduleSetupView = { vets: Array<StaffCard>, resources: Array<Resource>, types: Array<AppointmentType>, hours: Array<WorkSpan>, templates: Array<SlotTemplate>, };

export type SlotTemplateRequest = { weekday: number, starts: string, ends: string, type_id: string, staff_id?: string, };

export type SlotTemplate = { id: string, weekday: number, starts: string, ends: string, type_id: string, staff_id: string | null, };

export type TemplateSlot = { template_id: string, type_id: string, 
/**
 * `None`: any vet.
 */
staff_id: string | null, starts_at_ms: number, ends_at_ms: number, };

export type Resource = { id: string, name: string, 
/**
 * What it is: exam, surgery, x-ray, ultrasound…
 */
kind: string, 
/**
 * `room` or `equipment`.
 */
category: string, };

export type AppointmentTypeInput = { name: string, 
/**
 * The default length.
 */
minutes: number, 
/**
 * `#rrggbb`.
 */
colour: string, 
/**
 * The appointment kind it books (`consultation`, `surgery`…).
 */
kind: string, 
/**
 * The rooms and equipment every appointment of this type holds.
 */
resources: Array<string>, };

export type AppointmentType = { id: string, name: string, 
/**
 * The default length.
 */
minutes: number, 
/**
 * `#rrggbb`.
 */
colour: string, 
/**
 * The appointment kind it books (`consultation`, `surgery`…).
 */
kind: string, 
/**
 * The rooms and equipment every appointment of this type holds.
 */
resources: Array<string>, };

export type WorkSpan = { staff_id: string, 
/**
 * 1 Monday … 7 Sunday.
 */
weekday: number, 
/**
 * `HH:MM` in the clinic's time zone.
 */
starts: string, ends: string, };

export type WorkingWindow = { staff_id: string, starts_at_ms: number, ends_at_ms: number, };

export type Block = { id: string, 
/**
 * Whose time; with `resource_id`, `None` for both is the whole clinic.
 */
staff_id: string | null, resource_id: string | null, starts_at_ms: number, ends_at_ms: number, kind: string, reason: string, };

export type BookRequest = { id?: string, booking: BookingForm, 
/**
 * A new booking repeated: every so many weeks, so many times in all.
 */
repeat?: RepeatForm, };

export type AppointmentStatusRequest = { id: string, status: string, };

export type WaitlistAddRequest = { patient_id: string, client_id: string, vet_id?: string, reason: string, };

export type WaitlistRemoveRequest = { id: string, booked: boolean, };

export type WeightReading = { id: string, kg: number, measured_at: string, };

export type SoapInput = { subjective: string | null, objective: string | null, assessment: string | null, plan: string | null, };

export type VitalsInput = { temperature_c: number | null, heart_rate: number | null, respiratory_rate: number | null, weight_kg: number | null, };

export type Signature = { signed_by: string, signed_at: string, content_hash: string, };

export type Addendum = { id: string, author_id: string, text: string, created_at: string, };

export type Encounter = { id: string, patient_id: string, appointment_id: string | null, vet_id: string | null, started_at: string, soap: SoapInput, signed: Signature | null, addenda: Array<Addendum>, diagnoses: Array<[string, string, string]>, vitals: Array<VitalsInput>, };

export type EncounterSummary = { id: string, started_at: string, vet_id: string | null, signed: boolean, };

export type PrescriptionInput = { encounter_id: string, drug: string, dose: number, unit: string, route: string, 
/**
 * As the label says it: "twice daily", "every 8 hours", "SID".
 */
frequency: string, duration_days: number, quantity: number, refills: number, instructions: string | null, };

export type Prescription = { id: string, prescriber_id: string, prescribed_at: string, status: string, encounter_id: string, drug: string, dose: number, unit: string, route: string, 
/**
 * As the label says it: "twice daily", "every 8 hours", "SID".
 */
frequency: string, duration_days: number, quantity: number, refills: number, instructions: string | null, };

export type TextConflict = { table: string, row_id: string, column: string, 
/**
 * The losing edit's clock, hex: names the conflict when resolving it.
 */
loser_hlc: string, other_value: string, visible_value: string | null, };

export type Segment = { start_ms: number, end_ms: number, text: string, };

export type Evidence = { segment: number, 
/**
 * Byte range in that segment's text.
 */
start: number, end: number, 
/**
 * The words themselves, as transcribed.
 */
quote: string, start_ms: number, end_ms: number, };

export type Item = { "kind": "signalment", age_years: number | null, sex: string | null, neutered: boolean | null, } | { "kind": "weight", kg: number, } | { "kind": "temperature", celsius: number, } | { "kind": "heart_rate", per_minute: number, } | { "kind": "respiratory_rate", per_minute: number, } | { "kind": "problem", text: string, } | { "kind": "medication", drug: string, dose: number | null, unit: string | null, mg_per_kg: number | null, route: string | null, times_per_day: number | null, duration_days: number | null, } | { "kind": "follow_up", in_days: number | null, text: string, } | { "kind": "discharge", text: string, };

export type Flag = { "flag": "dose_out_of_range", mg_per_kg: number, min: number, max: number, } | { "flag": "heard_as", heard: string, } | { "flag": "no_weight_for_dose_check" } | { "flag": "no_range_for_species" } | { "flag": "dose_not_checked", unit: string, };

export type DecisionView = { decision: string, item: Item | null, reason: string | null, decided_by: string, decided_at: string, model_sha256: string, transcript_version: number, applied: Array<string>, 
/**
 * This decision settles a conflict between earlier ones, and stands.
 */
settles_conflict: boolean, };

export type DraftItemView = { id: string, 
/**
 * `pending`, `approved`, `edited`, `rejected` or `conflict` (see [`item_status`]).
 */
status: string, decisions: Array<DecisionView>, item: Item, evidence: Evidence, flags: Array<Flag>, };

export type DraftView = { id: string, encounter_id: string, model_file: string, model_sha256: string, transcript_version: number, segments: Array<Segment>, items: Array<DraftItemView>, };

export type PatientChart = { patient: Patient, weights: Array<WeightReading>, timeline: Array<EncounterSummary>, 
/**
 * `null` for roles that may not read clinical records.
 */
prescriptions: Array<Prescription> | null, };

export type EncounterView = { encounter: Encounter, drafts: Array<DraftView>, conflicts: Array<TextConflict>, };

export type SaveSoapRequest = { encounter_id: string, soap: SoapInput, };

export type AddendumRequest = { encounter_id: string, text: string, };

export type DecideRequest = { item_id: string, decision: string, item?: Item, reason?: string, settle: boolean, };

export type ScribeStatus = { 
/**
 * The model file in use; `null` when none is installed.
 */
model: string | null, recording: LiveRecordingView | null, working: WorkView | null, };

export type LiveRecordingView = { encounter_id: string, recording_id: string, seconds: number, 
/**
 * The last 100 ms, in dBFS (silence ≈ −90).
 */
level_dbfs: number, paused: boolean, 
/**
 * The input device, once it delivers audio.
 */
device: string | null, segments: Array<LiveSegment>, 
/**
 * The microphone went away (what was recorded is kept), or another problem.
 */
problem: string | null, };

export type LiveSegment = { start_ms: number, end_ms: number, text: string, };

export type WorkView = { what: string, 
/**
 * 0–100.
 */
percent: number, };

export type StartRecordingRequest = { encounter_id: string, override_reason?: string, };

export type DraftFromFileRequest = { encounter_id: string, path: string, };

export type PauseRequest = { paused: boolean, };

export type DayStats = { 
/**
 * The day's start (Unix ms).
 */
from_ms: number, 
/**
 * Appointments booked for that day (any status).
 */
booked: number, 
/**
 * Patients who came: checked in, in the exam room or done.
 */
seen: number, no_shows: number, cancelled: number, 
/**
 * Appointments whose visit record is signed.
 */
signed_visits: number, 
/**
 * Net revenue of the documents finalized that day (credit notes negative), cents.
 */
revenue_cents: number, };

export type DayRange = { from: string, to: string, };

export type DashboardRequest = { days: Array<DayRange>, };

export type StaffRow = { id: string, name: string, roles: Array<string>, active: boolean, };

export type AddStaffRequest = { name: string, 
/**
 * `admin`, `vet`, `nurse`, `front_desk`.
 */
roles: Array<string>, pin: string, };

export type AuditFilter = { 
/**
 * A staff member's id (the system is the nil id).
 */
actor_id: string | null, 
/**
 * `client.` for every client event, `encounter.sign` for one action.
 */
action_prefix: string | null, 
/**
 * `client`, `encounter`, `appointment`, …
 */
entity: string | null, entity_id: string | null, 
/**
 * RFC 3339 bounds on the event's time, [from, to).
 */
from: string | null, to: string | null, 
/**
 * At most this many, newest first (1–1000).
 */
limit: number, };

export type AuditEvent = { id: string, device_id: string, chain_index: number, actor_id: string, action: string, entity: string, entity_id: string, at: string, detail: string, };

export type ChainProblem = { device_id: string, chain_index: number, event_id: string, problem: string, };

export type Verification = { devices: number, events: number, 
/**
 * Entries whose signer could not be checked: written before chain signatures, or
 * (in a clinic made before signed changesets) by a device its membership log does
 * not hold. Their hash chain is still checked.
 */
signer_unchecked: number, problems: Array<ChainProblem>, };

export type AuditView = { events: Array<AuditEvent>, verification: Verification, };

export type ResolveConflictRequest = { row_id: string, column: string, loser_hlc: string, resolution: string, };

export type StaffRolesRequest = { id: string, roles: Array<string>, };

export type SecondFactorCodeRequest = { code: string, };

export type SecondFactorFinishRequest = { secret: string, code: string, };

export type SecondFactorSetup = { 
/**
 * Base 32, as apps ask for it when typed by hand.
 */
secret: string, 
/**
 * The `otpauth://totp/…` address the QR code carries.
 */
uri: string, 
/**
 * The QR code as an SVG document.
 */
qr_svg: string, 
/**
 * The QR code drawn with block characters, for a terminal.
 */
qr_text: string, };

export type SecondFactorStatus = { enrolled: boolean, 
/**
 * Recovery codes not yet used.
 */
recovery_codes_left: number, 
/**
 * RFC 3339; `None` when admin acts would ask for a code now.
 */
confirmed_until: string | null, };

export type ClinicSettings = { 
/**
 * The name the app shows.
 */
name: string, 
/**
 * The name on invoices, when the business's registered name differs.
 */
legal_name: string | null, 
/**
 * Lines as they are printed under the name.
 */
address: string | null, phone: string | null, email: string | null, vat_number: string | null, 
/**
 * Practice registration numbers, a line each (a veterinary register's, a company's).
 */
registration: string | null, 
/**
 * ISO 4217, two minor units (`GBP`).
 */
currency: string, 
/**
 * The VAT rate new catalog items start with, in basis points (2000 = 20 %).
 */
default_vat_bp: number | null, 
/**
 * Printed at the foot of invoices and receipts (the law's wording where required).
 */
document_text: string | null, payment_terms: string | null, 
/**
 * `en` or `uk`.
 */
language: string, 
/**
 * IANA name (`Europe/London`).
 */
time_zone: string | null, };

export type VitalsRequest = { encounter_id: string, vitals: VitalsInput, };

export type PendingProof = "verified" | "invited_elsewhere" | "tampered" | "unproven";

export type DeviceRow = { device_id: string, 
/**
 * `approved`, `pending` or `revoked`.
 */
status: string, created_at_ms: number, 
/**
 * The device this is.
 */
this_device: boolean, 
/**
 * What staff call it: a pending device's from its introduction (when it holds), a
 * member's from the membership log.
 */
name: string | null, 
/**
 * The short form of its key, to compare with what the device itself shows: a
 * pending device's when its introduction holds, a member's from the log.
 */
fingerprint: string | null, 
/**
 * For a pending device: whether it may be approved here.
 */
proof: PendingProof | null, 
/**
 * Whether it manages the clinic's devices, by the membership log.
 */
manages: boolean, };

export type ApproveDeviceRequest = { id: string, fingerprint: string, manages: boolean, };

export type InvoicesRequest = { status?: string, };

export type NewInvoiceRequest = { 
/**
 * `invoice` or `estimate`.
 */
kind: string, client_id: string, patient_id?: string, };

export type CatalogRequest = { query: string, };

export type AddLineRequest = { invoice_id: string, item_id: string, 
/**
 * As typed: `1`, `2.5`.
 */
quantity: string, 
/**
 * Percent as typed: `0`, `5`, `12.5`.
 */
discount: string, 
/**
 * An estimate's line: the high end of a range, as typed (empty: no range).
 */
quantity_high?: string, };

export type PayRequest = { invoice_id: string, 
/**
 * cash, card or transfer.
 */
method: string, 
/**
 * As typed: `64.42`.
 */
amount: string, };

export type SaleLineRequest = { item_id: string, 
/**
 * As typed: `1`, `2.5`.
 */
quantity: string, };

export type SalePaymentRequest = { method: string, amount: string, };

export type CounterSaleRequest = { client_id?: string, lines: Array<SaleLineRequest>, payments: Array<SalePaymentRequest>, };

export type CatalogSaveRequest = { id?: string, sku: string, barcode: string, name: string, 
/**
 * `service`, `product` or `drug`.
 */
kind: string, unit: string, 
/**
 * Net of VAT: `12.50`.
 */
price: string, 
/**
 * Percent: `20`.
 */
vat: string, 
/**
 * `2`–`5` for a controlled drug, empty otherwise.
 */
schedule: string, reorder_level: string, dose_ranges: Array<DoseRange>, };

export type SupplierRequest = { supplier: string, };

export type DeliveryRequest = { line_id: string, lot_number: string, 
/**
 * `YYYY-MM-DD`, or empty.
 */
expires_on: string, quantity: string, 
/**
 * What one unit cost, if not what was ordered (empty).
 */
cost: string, };

export type TakeCount = { item_id: string, counted: string, };

export type StockTakeRequest = { counts: Array<TakeCount>, note: string, };

export type PriceChange = { price_cents: number, vat_rate_bp: number, changed_by: string, changed_at: string, };

export type OrderLine = { id: string, item_id: string, item_name: string, sku: string, quantity_milli: number, received_milli: number, cost_cents: number, };

export type PurchaseOrder = { id: string, number: string, supplier: string, 
/**
 * `draft`, `ordered`, `part_received`, `received` or `cancelled`.
 */
status: string, note: string, created_at: string, ordered_at: string | null, lines: Array<OrderLine>, };

export type CorrectionRequest = { invoice_id: string, reason: string, 
/**
 * A refund's method (cash, card or transfer).
 */
method?: string, 
/**
 * A refund's amount, as typed (`20`, `12.50`).
 */
amount?: string, 
/**
 * A credit note's goods go back to stock.
 */
restock?: boolean, };

export type ReceiveRequest = { item_id: string, lot_number: string, 
/**
 * `YYYY-MM-DD`, or empty.
 */
expires_on: string, quantity: string, cost: string, };

export type CountRequest = { item_id: string, counted: string, note: string, };

export type SavedDocument = { path: string, };

export type RegisterCloseRequest = { day: string, from: string, to: string, };

export type VisitSummaryRequest = { encounter_id: string, discharge: string, };

export type ZReport = { register: string, day: string, number: string | null, invoices: number, first_number: string | null, last_number: string | null, credit_notes: number, net_cents: number, vat: Array<VatAtRate>, total_cents: number, credited_cents: number, 
/**
 * Taken on this register, by method (refunds negative).
 */
payments: Array<[string, number]>, taken_cents: number, };

export type ClosedDay = { report: ZReport, path: string, };

export type ReportRequest = { 
/**
 * `revenue_day`, `revenue_vet`, `revenue_category`, `stock`, `expiring`,
 * `reorder` or `controlled`.
 */
kind: string, from: string, to: string, };

export type Report = { title: string, headings: Array<string>, rows: Array<Array<string>>, };

export type LineAmounts = { gross_cents: number, discount_cents: number, net_cents: number, };

export type VatAtRate = { rate_bp: number, net_cents: number, vat_cents: number, };

export type Totals = { lines: Array<LineAmounts>, discount_cents: number, net_cents: number, 
/**
 * By rate, lowest rate first.
 */
vat: Array<VatAtRate>, vat_cents: number, total_cents: number, };

export type InvoiceLine = { id: string, position: number, item_id: string | null, description: string, quantity_milli: number, unit_price_cents: number, vat_rate_bp: number, discount_bp: number, prescription_id: string | null, 
/**
 * An estimate line's high end ("one to three radiographs"); absent otherwise, so a
 * snapshot without ranges reads and hashes as before.
 */
quantity_high_milli?: number, gross_cents: number, discount_cents: number, net_cents: number, };

export type Payment = { id: string, method: string, amount_cents: number, register: string, taken_by: string, taken_at: string, reference: string, };

export type InvoiceView = { id: string, kind: string, status: string, number: string | null, 
/**
 * `None` for a counter sale to a walk-in.
 */
client_id: string | null, client_name: string, patient_id: string | null, patient_name: string | null, encounter_id: string | null, source_id: string | null, created_at: string, finalized_at: string | null, lines: Array<InvoiceLine>, totals: Totals, 
/**
 * An estimate with ranges: what it comes to at the high ends.
 */
high_totals: Totals | null, payments: Array<Payment>, paid_cents: number, 
/**
 * Total less payments: what the client still owes on it.
 */
balance_cents: number, 
/**
 * `draft`, `unpaid`, `part_paid`, `paid`, `void`.
 */
payment_status: string, void_reason: string | null, 
/**
 * A finalized document whose lines were edited on another device afterwards (the
 * document stays as finalized).
 */
late_edits: boolean, 
/**
 * The snapshot's SHA-256 matches its contents.
 */
snapshot_intact: boolean, };

export type InvoiceSummary = { id: string, kind: string, status: string, number: string | null, client_name: string, created_at: string, finalized_at: string | null, total_cents: number | null, paid_cents: number, };

export type StatementEntry = { at: string, what: string, reference: string, 
/**
 * + owed (an invoice, a refund), − paid or credited.
 */
amount_cents: number, balance_cents: number, };

export type Statement = { client_id: string, client_name: string, entries: Array<StatementEntry>, balance_cents: number, };

export type Finalized = { number: string, total_cents: number, 
/**
 * Lines that came from prescriptions: each gets a medication label.
 */
label_lines: Array<string>, 
/**
 * Items sold beyond what the lots held (stock went below zero): reconcile.
 */
short: Array<[string, number]>, };

export type DoseRange = { species: string, min_mg_per_kg: number, max_mg_per_kg: number, };

export type CatalogItemInput = { sku: string, 
/**
 * The code a scanner reads (EAN/UPC or the supplier's); empty when none.
 */
barcode: string, name: string, 
/**
 * `service`, `product` or `drug`.
 */
kind: string, unit: string, price_cents: number, vat_rate_bp: number, 
/**
 * Controlled-drug schedule `2`–`5`; drugs only.
 */
schedule: string | null, reorder_level_milli: number, dose_ranges: Array<DoseRange>, };

export type CatalogItem = { id: string, sku: string, 
/**
 * The code a scanner reads (EAN/UPC or the supplier's); empty when none.
 */
barcode: string, name: string, 
/**
 * `service`, `product` or `drug`.
 */
kind: string, unit: string, price_cents: number, vat_rate_bp: number, 
/**
 * Controlled-drug schedule `2`–`5`; drugs only.
 */
schedule: string | null, reorder_level_milli: number, dose_ranges: Array<DoseRange>, };

export type SaleItem = { 
/**
 * What the shelves hold (every lot); `None` for a service.
 */
on_hand_milli: number | null, 
/**
 * Found by its exact barcode or SKU (a scan), not by its name.
 */
exact: boolean, id: string, sku: string, 
/**
 * The code a scanner reads (EAN/UPC or the supplier's); empty when none.
 */
barcode: string, name: string, 
/**
 * `service`, `product` or `drug`.
 */
kind: string, unit: string, price_cents: number, vat_rate_bp: number, 
/**
 * Controlled-drug schedule `2`–`5`; drugs only.
 */
schedule: string | null, reorder_level_milli: number, dose_ranges: Array<DoseRange>, };

export type Sale = { invoice_id: string, paid_cents: number, 
/**
 * Cash handed over beyond the total, to give back.
 */
change_cents: number, 
/**
 * What is left on the client's account (a known client only).
 */
balance_cents: number, number: string, total_cents: number, 
/**
 * Lines that came from prescriptions: each gets a medication label.
 */
label_lines: Array<string>, 
/**
 * Items sold beyond what the lots held (stock went below zero): reconcile.
 */
short: Array<[string, number]>, };

export type LotLevel = { lot_id: string, lot_number: string, 
/**
 * `YYYY-MM-DD`.
 */
expires_on: string | null, cost_cents: number, on_hand_milli: number, };

export type StockLevel = { item: CatalogItem, on_hand_milli: number, reserved_milli: number, available_milli: number, lots: Array<LotLevel>, };

export type StockAlert = { "kind": "reconcile", item_id: string, item: string, on_hand_milli: number, } | { "kind": "reorder", item_id: string, item: string, on_hand_milli: number, reorder_level_milli: number, } | { "kind": "expiring", item_id: string, item: string, lot_number: string, 
/**
 * `YYYY-MM-DD`.
 */
expires_on: string, on_hand_milli: number, } | { "kind": "finalized_twice", invoice_id: string, numbers: Array<string>, } | { "kind": "discrepancy", item_id: string, item: string, counted_milli: number, register_milli: number, counted_at: string, };

export type CountOutcome = { count_id: string, expected_milli: number, counted_milli: number, 
/**
 * The stock was adjusted to the count (items that are not controlled).
 */
adjusted: boolean, 
/**
 * A controlled drug's count disagreed with its register: an alert, no adjustment.
 */
discrepancy: boolean, };

export type Invitation = { code: string, expires_at_ms: number, };

export type PrescribeRequest = { encounter_id: string, drug: string, dose: number, unit: string, route: string, frequency: string, duration_days: number, quantity: number, refills: number, instructions?: string, };

export type PrescriptionOptions = { units: Array<string>, routes: Array<string>, };

/** Sends one command; `ui/src/ipc/api.ts` gives Tauri's invoke, errors made IpcErrors. */
export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>

/** Every IPC command, typed, from the list in crates/ipc/src/commands.rs. */
export function ipcCommands(invoke: Invoke) {
  return {
    appStatus: () => invoke<AppStatus>('app_status'),
    unlockStore: (request: UnlockRequest) => invoke<AppStatus>('unlock_store', { request }),
    enrollDevice: (request: EnrollRequest) => invoke<AppStatus>('enroll_device', { request }),
    syncStatus: () => invoke<SyncStatusView>('sync_status'),
    syncNow: () => invoke<null>('sync_now'),
    staffList: () => invoke<Array<StaffCard>>('staff_list'),
    signIn: (request: SignInRequest) => invoke<SessionView>('sign_in', { request }),
    signOut: () => invoke<null>('sign_out'),
    currentSession: () => invoke<SessionView | null>('current_session'),
    search: (request: SearchRequest) => invoke<Array<Hit>>('search', { request }),
    clientDetail: (request: IdRequest) => invoke<ClientDetail>('client_detail', { request }),
    saveClient: (request: SaveClientRequest) => invoke<string>('save_client', { request }),
    patientDetail: (request: IdRequest) => invoke<Patient>('patient_detail', { request }),
    savePatient: (request: SavePatientRequest) => invoke<string>('save_patient', { request }),
    dayBoard: (request: DayBoardRequest) => invoke<DayBoard>('day_board', { request }),
    book: (request: BookRequest) => invoke<string>('book', { request }),
    setAppointmentStatus: (request: AppointmentStatusRequest) => invoke<null>('set_appointment_status', { request }),
    waitlistAdd: (request: WaitlistAddRequest) => invoke<string>('waitlist_add', { request }),
    waitlistRemove: (request: WaitlistRemoveRequest) => invoke<null>('waitlist_remove', { request }),
    dashboard: (request: DashboardRequest) => invoke<Array<DayStats>>('dashboard', { request }),
    resourceAdd: (request: ResourceRequest) => invoke<string>('resource_add', { request }),
    appointmentTypeSave: (request: AppointmentTypeRequest) => invoke<string>('appointment_type_save', { request }),
    scheduleSetup: () => invoke<ScheduleSetupView>('schedule_setup'),
    workHoursSet: (request: WorkHoursRequest) => invoke<null>('work_hours_set', { request }),
    blockAdd: (request: BlockRequest) => invoke<string>('block_add', { request }),
    blockRemove: (request: IdRequest) => invoke<null>('block_remove', { request }),
    slotTemplateAdd: (request: SlotTemplateRequest) => invoke<string>('slot_template_add', { request }),
    slotTemplateRemove: (request: IdRequest) => invoke<null>('slot_template_remove', { request }),
    patientChart: (request: IdRequest) => invoke<PatientChart>('patient_chart', { request }),
    openExam: (request: IdRequest) => invoke<string>('open_exam', { request }),
    encounterView: (request: IdRequest) => invoke<EncounterView>('encounter_view', { request }),
    saveSoap: (request: SaveSoapRequest) => invoke<null>('save_soap', { request }),
    signEncounter: (request: IdRequest) => invoke<string>('sign_encounter', { request }),
    addAddendum: (request: AddendumRequest) => invoke<string>('add_addendum', { request }),
    decideDraftItem: (request: DecideRequest) => invoke<Array<string>>('decide_draft_item', { request }),
    approveDraft: (request: IdRequest) => invoke<number>('approve_draft', { request }),
    resolveConflict: (request: ResolveConflictRequest) => invoke<null>('resolve_conflict', { request }),
    recordVitals: (request: VitalsRequest) => invoke<string>('record_vitals', { request }),
    prescribe: (request: PrescribeRequest) => invoke<string>('prescribe', { request }),
    prescriptionOptions: () => invoke<PrescriptionOptions>('prescription_options'),
    scribeStatus: () => invoke<ScribeStatus>('scribe_status'),
    startRecording: (request: StartRecordingRequest) => invoke<string>('start_recording', { request }),
    pauseRecording: (request: PauseRequest) => invoke<null>('pause_recording', { request }),
    stopRecording: () => invoke<string>('stop_recording'),
    draftFromFile: (request: DraftFromFileRequest) => invoke<string>('draft_from_file', { request }),
    staffAll: () => invoke<Array<StaffRow>>('staff_all'),
    addStaff: (request: AddStaffRequest) => invoke<string>('add_staff', { request }),
    deactivateStaff: (request: IdRequest) => invoke<null>('deactivate_staff', { request }),
    setStaffRoles: (request: StaffRolesRequest) => invoke<null>('set_staff_roles', { request }),
    auditSearch: (request: AuditFilter) => invoke<AuditView>('audit_search', { request }),
    secondFactorStatus: () => invoke<SecondFactorStatus>('second_factor_status'),
    secondFactorBegin: () => invoke<SecondFactorSetup>('second_factor_begin'),
    secondFactorFinish: (request: SecondFactorFinishRequest) => invoke<Array<string>>('second_factor_finish', { request }),
    secondFactorConfirm: (request: SecondFactorCodeRequest) => invoke<SecondFactorStatus>('second_factor_confirm', { request }),
    secondFactorReset: (request: IdRequest) => invoke<null>('second_factor_reset', { request }),
    clinicSettings: () => invoke<ClinicSettings>('clinic_settings'),
    saveClinicSettings: (request: ClinicSettings) => invoke<Array<string>>('save_clinic_settings', { request }),
    devicesList: () => invoke<Array<DeviceRow>>('devices_list'),
    deviceInvite: () => invoke<Invitation>('device_invite'),
    deviceApprove: (request: ApproveDeviceRequest) => invoke<null>('device_approve', { request }),
    deviceRevoke: (request: IdRequest) => invoke<null>('device_revoke', { request }),
    invoicesList: (request: InvoicesRequest) => invoke<Array<InvoiceSummary>>('invoices_list', { request }),
    invoiceView: (request: IdRequest) => invoke<InvoiceView>('invoice_view', { request }),
    invoiceNew: (request: NewInvoiceRequest) => invoke<string>('invoice_new', { request }),
    estimateAccept: (request: IdRequest) => invoke<string>('estimate_accept', { request }),
    catalogList: (request: CatalogRequest) => invoke<Array<CatalogItem>>('catalog_list', { request }),
    saleItems: (request: CatalogRequest) => invoke<Array<SaleItem>>('sale_items', { request }),
    saleQuote: (request: CounterSaleRequest) => invoke<Totals>('sale_quote', { request }),
    counterSale: (request: CounterSaleRequest) => invoke<Sale>('counter_sale', { request }),
    invoiceAddLine: (request: AddLineRequest) => invoke<string>('invoice_add_line', { request }),
    invoiceFinalize: (request: IdRequest) => invoke<Finalized>('invoice_finalize', { request }),
    invoicePay: (request: PayRequest) => invoke<InvoiceView>('invoice_pay', { request }),
    invoiceRefund: (request: CorrectionRequest) => invoke<InvoiceView>('invoice_refund', { request }),
    invoiceVoid: (request: CorrectionRequest) => invoke<InvoiceView>('invoice_void', { request }),
    invoiceCredit: (request: CorrectionRequest) => invoke<string>('invoice_credit', { request }),
    invoicePdf: (request: IdRequest) => invoke<SavedDocument>('invoice_pdf', { request }),
    invoiceLabels: (request: IdRequest) => invoke<Array<SavedDocument>>('invoice_labels', { request }),
    clientStatement: (request: IdRequest) => invoke<Statement>('client_statement', { request }),
    statementPdf: (request: IdRequest) => invoke<SavedDocument>('statement_pdf', { request }),
    visitSummaryPdf: (request: VisitSummaryRequest) => invoke<SavedDocument>('visit_summary_pdf', { request }),
    stockLevels: () => invoke<Array<StockLevel>>('stock_levels'),
    stockAlerts: () => invoke<Array<StockAlert>>('stock_alerts'),
    stockReceive: (request: ReceiveRequest) => invoke<string>('stock_receive', { request }),
    stockCount: (request: CountRequest) => invoke<CountOutcome>('stock_count', { request }),
    stockTake: (request: StockTakeRequest) => invoke<Array<CountOutcome>>('stock_take', { request }),
    catalogSave: (request: CatalogSaveRequest) => invoke<string>('catalog_save', { request }),
    priceHistory: (request: IdRequest) => invoke<Array<PriceChange>>('price_history', { request }),
    purchaseOrders: () => invoke<Array<PurchaseOrder>>('purchase_orders'),
    orderFromReorderList: (request: SupplierRequest) => invoke<string | null>('order_from_reorder_list', { request }),
    orderPlace: (request: IdRequest) => invoke<null>('order_place', { request }),
    orderReceive: (request: DeliveryRequest) => invoke<PurchaseOrder>('order_receive', { request }),
    registerClose: (request: RegisterCloseRequest) => invoke<ClosedDay>('register_close', { request }),
    report: (request: ReportRequest) => invoke<Report>('report', { request }),
    reportCsv: (request: ReportRequest) => invoke<SavedDocument>('report_csv', { request }),
  }
}

export type IpcCommands = ReturnType<typeof ipcCommands>
