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

export const Commands = {
  appStatus: "app_status",
  unlockStore: "unlock_store",
} as const;
