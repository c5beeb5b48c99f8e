// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc`. Do not edit.

export type ErrorCode = "not_initialized" | "already_initialized" | "passphrase_required" | "wrong_passphrase" | "wrong_key" | "keyring_unavailable" | "database_too_new" | "invalid" | "damaged" | "forbidden" | "wrong_pin" | "not_found" | "double_booked" | "encounter_signed" | "not_allowed_now" | "internal";

export type IpcError = { code: ErrorCode, message: string, };

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

export const Commands = {
  appStatus: "app_status",
  unlockStore: "unlock_store",
  syncStatus: "sync_status",
  syncNow: "sync_now",
} as const;
