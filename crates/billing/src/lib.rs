//! Vetdesk's billing arithmetic, with no I/O: what an invoice comes to and which stock
//! lot a sale takes from are decided here, as pure functions with case tables, and the
//! store (`vetdesk-core`) only reads inputs and writes results.
//!
//! - [`money`]: amounts in minor units (cents), quantities in thousandths, one rounding
//!   rule (half away from zero) applied at documented points; VAT per rate on the
//!   invoice's net per rate; discounts and the limit each role may give.
//! - [`fefo`]: first-expiry-first-out picking across stock lots.
//! - [`numbering`]: per-register invoice numbers that never collide offline.

pub mod fefo;
pub mod money;
pub mod numbering;
