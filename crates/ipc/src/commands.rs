//! The one list of the app's IPC commands: each command's module, name, request and
//! response. Everything else is generated from it — the app's Tauri commands and their
//! handler (`src-tauri/src/commands/mod.rs`) and the UI's typed calls (`ipcCommands` in
//! `ui/src/ipc/bindings.ts`, by [`crate::typescript_bindings`]) — so a command cannot exist
//! on one side only, and a changed request or response type fails to compile in the app
//! (its handler no longer matches) and fails the bindings drift test in the UI.
//!
//! [`for_each_command!`](crate::for_each_command) hands the list to a macro of the
//! caller's, one entry per command:
//!
//! ```text
//! module::name(Request) -> Response;   // called as ipc.name(request)
//! module::name() -> Response;          // no request
//! ```
//!
//! Type names are written bare: the expanding module imports `vetdesk_ipc::*` (which
//! re-exports the core types that cross the boundary). Every command answers
//! `Result<Response, IpcError>`; the module names the app's handler module
//! (`crate::commands::<module>::<name>`), one per view.

/// Calls `$then! { .. }` with every IPC command (see the module documentation).
#[macro_export]
macro_rules! for_each_command {
    ($then:ident) => {
        $then! {
            session::app_status() -> AppStatus;
            session::unlock_store(UnlockRequest) -> AppStatus;
            session::enroll_device(EnrollRequest) -> AppStatus;
            session::sync_status() -> SyncStatusView;
            session::sync_now() -> ();
            session::staff_list() -> Vec<StaffCard>;
            session::sign_in(SignInRequest) -> SessionView;
            session::sign_out() -> ();
            session::current_session() -> Option<SessionView>;

            records::search(SearchRequest) -> Vec<Hit>;
            records::client_detail(IdRequest) -> ClientDetail;
            records::save_client(SaveClientRequest) -> String;
            records::patient_detail(IdRequest) -> Patient;
            records::save_patient(SavePatientRequest) -> String;

            schedule::day_board(DayBoardRequest) -> DayBoard;
            schedule::book(BookRequest) -> String;
            schedule::set_appointment_status(AppointmentStatusRequest) -> ();
            schedule::waitlist_add(WaitlistAddRequest) -> String;
            schedule::waitlist_remove(WaitlistRemoveRequest) -> ();
            schedule::dashboard(DashboardRequest) -> Vec<DayStats>;
            schedule::resource_add(ResourceRequest) -> String;
            schedule::appointment_type_save(AppointmentTypeRequest) -> String;
            schedule::schedule_setup() -> ScheduleSetupView;
            schedule::work_hours_set(WorkHoursRequest) -> ();
            schedule::block_add(BlockRequest) -> String;
            schedule::block_remove(IdRequest) -> ();
            schedule::slot_template_add(SlotTemplateRequest) -> String;
            schedule::slot_template_remove(IdRequest) -> ();

            exam::patient_chart(IdRequest) -> PatientChart;
            exam::open_exam(IdRequest) -> String;
            exam::encounter_view(IdRequest) -> EncounterView;
            exam::save_soap(SaveSoapRequest) -> ();
            exam::sign_encounter(IdRequest) -> String;
            exam::add_addendum(AddendumRequest) -> String;
            exam::decide_draft_item(DecideRequest) -> Vec<String>;
            exam::approve_draft(IdRequest) -> u32;
            exam::resolve_conflict(ResolveConflictRequest) -> ();
            exam::record_vitals(VitalsRequest) -> String;
            exam::prescribe(PrescribeRequest) -> String;
            exam::prescription_options() -> PrescriptionOptions;

            recording::scribe_status() -> ScribeStatus;
            recording::start_recording(StartRecordingRequest) -> String;
            recording::pause_recording(PauseRequest) -> ();
            recording::stop_recording() -> String;
            recording::draft_from_file(DraftFromFileRequest) -> String;

            admin::staff_all() -> Vec<StaffRow>;
            admin::add_staff(AddStaffRequest) -> String;
            admin::deactivate_staff(IdRequest) -> ();
            admin::set_staff_roles(StaffRolesRequest) -> ();
            admin::audit_search(AuditFilter) -> AuditView;
            admin::second_factor_status() -> SecondFactorStatus;
            admin::second_factor_begin() -> SecondFactorSetup;
            admin::second_factor_finish(SecondFactorFinishRequest) -> Vec<String>;
            admin::second_factor_confirm(SecondFactorCodeRequest) -> SecondFactorStatus;
            admin::second_factor_reset(IdRequest) -> ();
            admin::clinic_settings() -> ClinicSettings;
            admin::save_clinic_settings(ClinicSettings) -> Vec<String>;
            admin::devices_list() -> Vec<DeviceRow>;
            admin::device_invite() -> Invitation;
            admin::device_approve(ApproveDeviceRequest) -> ();
            admin::device_revoke(IdRequest) -> ();

            billing::invoices_list(InvoicesRequest) -> Vec<InvoiceSummary>;
            billing::invoice_view(IdRequest) -> InvoiceView;
            billing::invoice_new(NewInvoiceRequest) -> String;
            billing::estimate_accept(IdRequest) -> String;
            billing::catalog_list(CatalogRequest) -> Vec<CatalogItem>;
            billing::sale_items(CatalogRequest) -> Vec<SaleItem>;
            billing::sale_quote(CounterSaleRequest) -> Totals;
            billing::counter_sale(CounterSaleRequest) -> Sale;
            billing::invoice_add_line(AddLineRequest) -> String;
            billing::invoice_finalize(IdRequest) -> Finalized;
            billing::invoice_pay(PayRequest) -> InvoiceView;
            billing::invoice_refund(CorrectionRequest) -> InvoiceView;
            billing::invoice_void(CorrectionRequest) -> InvoiceView;
            billing::invoice_credit(CorrectionRequest) -> String;
            billing::invoice_pdf(IdRequest) -> SavedDocument;
            billing::invoice_labels(IdRequest) -> Vec<SavedDocument>;
            billing::client_statement(IdRequest) -> Statement;
            billing::statement_pdf(IdRequest) -> SavedDocument;
            billing::visit_summary_pdf(VisitSummaryRequest) -> SavedDocument;
            billing::stock_levels() -> Vec<StockLevel>;
            billing::stock_alerts() -> Vec<StockAlert>;
            billing::stock_receive(ReceiveRequest) -> String;
            billing::stock_count(CountRequest) -> CountOutcome;
            billing::stock_take(StockTakeRequest) -> Vec<CountOutcome>;
            billing::catalog_save(CatalogSaveRequest) -> String;
            billing::price_history(IdRequest) -> Vec<PriceChange>;
            billing::purchase_orders() -> Vec<PurchaseOrder>;
            billing::order_from_reorder_list(SupplierRequest) -> Option<String>;
            billing::order_place(IdRequest) -> ();
            billing::order_receive(DeliveryRequest) -> PurchaseOrder;
            billing::register_close(RegisterCloseRequest) -> ClosedDay;
            billing::report(ReportRequest) -> Report;
            billing::report_csv(ReportRequest) -> SavedDocument;
        }
    };
}

/// One command as the TypeScript side sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSignature {
    /// The name Tauri routes by (`sign_in`).
    pub name: &'static str,
    /// The TypeScript type of the `request` argument, if the command takes one.
    pub request: Option<String>,
    /// The TypeScript type the call resolves to.
    pub response: String,
}

macro_rules! request_type {
    ($cfg:ident) => {
        None
    };
    ($cfg:ident, $request:ty) => {
        Some(<$request as ts_rs::TS>::name($cfg))
    };
}

macro_rules! signatures {
    ($( $module:ident :: $name:ident ( $($request:ty)? ) -> $response:ty ; )*) => {
        /// Every command's signature, in the list's order, with TypeScript type names.
        pub fn signatures(cfg: &ts_rs::Config) -> Vec<CommandSignature> {
            use ts_rs::TS;
            vec![$(CommandSignature {
                name: stringify!($name),
                request: request_type!(cfg $(, $request)?),
                response: <$response as TS>::name(cfg),
            }),*]
        }
    };
}

use crate::*;
for_each_command!(signatures);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let all = signatures(&ts_rs::Config::default());
        let mut names: Vec<_> = all.iter().map(|c| c.name).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a command is listed twice");
    }

    #[test]
    fn requests_and_responses_render_as_typescript() {
        let cfg = ts_rs::Config::default().with_large_int("number");
        let all = signatures(&cfg);
        let find = |name: &str| all.iter().find(|c| c.name == name).cloned();
        let sign_in = find("sign_in").expect("sign_in is listed");
        assert_eq!(sign_in.request.as_deref(), Some("SignInRequest"));
        assert_eq!(sign_in.response, "SessionView");
        let session = find("current_session").expect("current_session is listed");
        assert_eq!(session.request, None);
        assert_eq!(session.response, "SessionView | null");
        assert_eq!(
            find("sign_out").map(|c| c.response).as_deref(),
            Some("null")
        );
        assert_eq!(
            find("approve_draft").map(|c| c.response).as_deref(),
            Some("number")
        );
    }
}
