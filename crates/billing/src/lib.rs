//! Vetdesk's billing arithmetic, with no I/O: what an invoice comes to and which stock
//! lot a sale takes from are decided here, as pure functions with case tables, and the
//! store (`vetdesk-core`) only reads inputs and writes results.
//!
//! - [`money`]: amounts in minor units (cents), quantities in thousandths, one rounding
//!   rule (half away from zero) applied at documented points; VAT per rate on the
//!   invoice's net per rate; discounts and the limit each role may give.
//! - [`currency`]: the clinic's ISO 4217 currency (two minor units) and amounts written
//!   with its sign.
//! - [`fefo`]: first-expiry-first-out picking across stock lots.
//! - [`numbering`]: per-register invoice numbers that never collide offline.
//!
//! ## The arithmetic in detail
//!
//! `money`: amounts in cents and quantities in thousandths (integers, exact), one rounding
//! rule — half away from zero — at three documented points (a line's gross, its discount,
//! VAT per rate on the invoice's net at that rate; never per line), `parse_cents` /
//! `parse_milli` for what people type; `fefo`: first-expiry-first-out picking (expired lots
//! never, a shortfall still taken and reported); `numbering`: per-register series. Case
//! tables and a property test (the printed breakdown always adds up to the total). Depends
//! on nothing of ours (the ISO currency list is crate `iso_currency`).

pub mod currency;
pub mod fefo;
pub mod money;
pub mod numbering;
