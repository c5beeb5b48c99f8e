//! The TypeScript declarations of every IPC type, as one module (`ui/src/ipc/bindings.ts`),
//! checked for drift by `tests/bindings.rs`.

use ts_rs::TS;

use crate::admin::{
    AddStaffRequest, ApproveDeviceRequest, AuditView, SecondFactorCodeRequest,
    SecondFactorFinishRequest, StaffRolesRequest, StaffRow,
};
use crate::billing::{
    AddLineRequest, CatalogRequest, CatalogSaveRequest, ClosedDay, CorrectionRequest, CountRequest,
    CounterSaleRequest, DeliveryRequest, InvoicesRequest, NewInvoiceRequest, PayRequest,
    ReceiveRequest, RegisterCloseRequest, ReportRequest, SaleLineRequest, SalePaymentRequest,
    SavedDocument, StockTakeRequest, SupplierRequest, TakeCount,
};
use crate::clinical::{
    AddendumRequest, DecideRequest, EncounterView, PatientChart, PrescribeRequest,
    PrescriptionOptions, ResolveConflictRequest, SaveSoapRequest, VisitSummaryRequest,
    VitalsRequest,
};
use crate::errors::{ErrorCode, IpcError};
use crate::records::{
    ClientDetail, IdRequest, SaveClientRequest, SavePatientRequest, SearchRequest,
};
use crate::schedule::{
    AppointmentStatusRequest, AppointmentTypeRequest, BlockRequest, BookRequest, BookingForm,
    DashboardRequest, DayBoard, DayBoardRequest, DayRange, RepeatForm, ResourceRequest,
    ScheduleSetupView, SlotTemplateRequest, SpanForm, WaitlistAddRequest, WaitlistRemoveRequest,
    WorkHoursRequest,
};
use crate::scribe::{
    DraftFromFileRequest, LiveRecordingView, LiveSegment, PauseRequest, ScribeStatus,
    StartRecordingRequest, WorkView,
};
use crate::session::{
    AppStatus, EnrollRequest, KeyProtectionKind, SessionView, SignInRequest, StaffCard,
    SyncStatusView, UnlockRequest,
};

/// The TypeScript declarations of every IPC type, as one module.
pub fn typescript_bindings() -> String {
    // Times in milliseconds and counts fit a JavaScript number; no bigint in the UI.
    let cfg = ts_rs::Config::default().with_large_int("number");
    let decls = [
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        KeyProtectionKind::decl(&cfg),
        AppStatus::decl(&cfg),
        UnlockRequest::decl(&cfg),
        EnrollRequest::decl(&cfg),
        SyncStatusView::decl(&cfg),
        StaffCard::decl(&cfg),
        SignInRequest::decl(&cfg),
        SessionView::decl(&cfg),
        SearchRequest::decl(&cfg),
        vetdesk_core::search::HitKind::decl(&cfg),
        vetdesk_core::search::Hit::decl(&cfg),
        vetdesk_core::services::clients::ClientInput::decl(&cfg),
        vetdesk_core::services::clients::Client::decl(&cfg),
        vetdesk_core::services::clients::PatientInput::decl(&cfg),
        vetdesk_core::services::clients::Patient::decl(&cfg),
        vetdesk_core::services::clients::Owner::decl(&cfg),
        ClientDetail::decl(&cfg),
        SaveClientRequest::decl(&cfg),
        SavePatientRequest::decl(&cfg),
        IdRequest::decl(&cfg),
        vetdesk_core::services::staff::Room::decl(&cfg),
        vetdesk_core::services::schedule::Status::decl(&cfg),
        vetdesk_core::services::schedule::Appointment::decl(&cfg),
        vetdesk_core::services::schedule::Clash::decl(&cfg),
        vetdesk_core::services::schedule::WaitlistEntry::decl(&cfg),
        DayBoardRequest::decl(&cfg),
        DayBoard::decl(&cfg),
        BookingForm::decl(&cfg),
        RepeatForm::decl(&cfg),
        ResourceRequest::decl(&cfg),
        AppointmentTypeRequest::decl(&cfg),
        SpanForm::decl(&cfg),
        WorkHoursRequest::decl(&cfg),
        BlockRequest::decl(&cfg),
        ScheduleSetupView::decl(&cfg),
        SlotTemplateRequest::decl(&cfg),
        vetdesk_core::services::schedule_setup::SlotTemplate::decl(&cfg),
        vetdesk_core::services::schedule_setup::TemplateSlot::decl(&cfg),
        vetdesk_core::services::schedule_setup::Resource::decl(&cfg),
        vetdesk_core::services::schedule_setup::AppointmentTypeInput::decl(&cfg),
        vetdesk_core::services::schedule_setup::AppointmentType::decl(&cfg),
        vetdesk_core::services::schedule_setup::WorkSpan::decl(&cfg),
        vetdesk_core::services::schedule_setup::WorkingWindow::decl(&cfg),
        vetdesk_core::services::schedule_setup::Block::decl(&cfg),
        BookRequest::decl(&cfg),
        AppointmentStatusRequest::decl(&cfg),
        WaitlistAddRequest::decl(&cfg),
        WaitlistRemoveRequest::decl(&cfg),
        vetdesk_core::services::clients::WeightReading::decl(&cfg),
        vetdesk_core::services::encounters::SoapInput::decl(&cfg),
        vetdesk_core::services::encounters::VitalsInput::decl(&cfg),
        vetdesk_core::services::encounters::Signature::decl(&cfg),
        vetdesk_core::services::encounters::Addendum::decl(&cfg),
        vetdesk_core::services::encounters::Encounter::decl(&cfg),
        vetdesk_core::services::encounters::EncounterSummary::decl(&cfg),
        vetdesk_core::services::encounters::PrescriptionInput::decl(&cfg),
        vetdesk_core::services::encounters::Prescription::decl(&cfg),
        vetdesk_core::services::encounters::TextConflict::decl(&cfg),
        vetdesk_draft::text::Segment::decl(&cfg),
        vetdesk_draft::text::Evidence::decl(&cfg),
        vetdesk_draft::extract::Item::decl(&cfg),
        vetdesk_draft::extract::Flag::decl(&cfg),
        vetdesk_core::services::scribe::DecisionView::decl(&cfg),
        vetdesk_core::services::scribe::DraftItemView::decl(&cfg),
        vetdesk_core::services::scribe::DraftView::decl(&cfg),
        PatientChart::decl(&cfg),
        EncounterView::decl(&cfg),
        SaveSoapRequest::decl(&cfg),
        AddendumRequest::decl(&cfg),
        DecideRequest::decl(&cfg),
        ScribeStatus::decl(&cfg),
        LiveRecordingView::decl(&cfg),
        LiveSegment::decl(&cfg),
        WorkView::decl(&cfg),
        StartRecordingRequest::decl(&cfg),
        DraftFromFileRequest::decl(&cfg),
        PauseRequest::decl(&cfg),
        vetdesk_core::services::schedule::DayStats::decl(&cfg),
        DayRange::decl(&cfg),
        DashboardRequest::decl(&cfg),
        StaffRow::decl(&cfg),
        AddStaffRequest::decl(&cfg),
        vetdesk_core::audit::AuditFilter::decl(&cfg),
        vetdesk_core::audit::AuditEvent::decl(&cfg),
        vetdesk_core::audit::ChainProblem::decl(&cfg),
        vetdesk_core::audit::Verification::decl(&cfg),
        AuditView::decl(&cfg),
        ResolveConflictRequest::decl(&cfg),
        StaffRolesRequest::decl(&cfg),
        SecondFactorCodeRequest::decl(&cfg),
        SecondFactorFinishRequest::decl(&cfg),
        vetdesk_core::services::second_factor::SecondFactorSetup::decl(&cfg),
        vetdesk_core::services::second_factor::SecondFactorStatus::decl(&cfg),
        vetdesk_core::services::clinic::ClinicSettings::decl(&cfg),
        VitalsRequest::decl(&cfg),
        vetdesk_core::services::devices::PendingProof::decl(&cfg),
        vetdesk_core::services::devices::DeviceRow::decl(&cfg),
        ApproveDeviceRequest::decl(&cfg),
        InvoicesRequest::decl(&cfg),
        NewInvoiceRequest::decl(&cfg),
        CatalogRequest::decl(&cfg),
        AddLineRequest::decl(&cfg),
        PayRequest::decl(&cfg),
        SaleLineRequest::decl(&cfg),
        SalePaymentRequest::decl(&cfg),
        CounterSaleRequest::decl(&cfg),
        CatalogSaveRequest::decl(&cfg),
        SupplierRequest::decl(&cfg),
        DeliveryRequest::decl(&cfg),
        TakeCount::decl(&cfg),
        StockTakeRequest::decl(&cfg),
        vetdesk_core::services::billing::PriceChange::decl(&cfg),
        vetdesk_core::services::billing::OrderLine::decl(&cfg),
        vetdesk_core::services::billing::PurchaseOrder::decl(&cfg),
        CorrectionRequest::decl(&cfg),
        ReceiveRequest::decl(&cfg),
        CountRequest::decl(&cfg),
        SavedDocument::decl(&cfg),
        RegisterCloseRequest::decl(&cfg),
        VisitSummaryRequest::decl(&cfg),
        vetdesk_core::services::billing::ZReport::decl(&cfg),
        ClosedDay::decl(&cfg),
        ReportRequest::decl(&cfg),
        vetdesk_core::services::reports::Report::decl(&cfg),
        vetdesk_billing::money::LineAmounts::decl(&cfg),
        vetdesk_billing::money::VatAtRate::decl(&cfg),
        vetdesk_billing::money::Totals::decl(&cfg),
        vetdesk_core::services::billing::InvoiceLine::decl(&cfg),
        vetdesk_core::services::billing::Payment::decl(&cfg),
        vetdesk_core::services::billing::InvoiceView::decl(&cfg),
        vetdesk_core::services::billing::InvoiceSummary::decl(&cfg),
        vetdesk_core::services::billing::StatementEntry::decl(&cfg),
        vetdesk_core::services::billing::Statement::decl(&cfg),
        vetdesk_core::services::billing::Finalized::decl(&cfg),
        vetdesk_core::services::billing::DoseRange::decl(&cfg),
        vetdesk_core::services::billing::CatalogItemInput::decl(&cfg),
        vetdesk_core::services::billing::CatalogItem::decl(&cfg),
        vetdesk_core::services::billing::SaleItem::decl(&cfg),
        vetdesk_core::services::billing::Sale::decl(&cfg),
        vetdesk_core::services::billing::LotLevel::decl(&cfg),
        vetdesk_core::services::billing::StockLevel::decl(&cfg),
        vetdesk_core::services::billing::StockAlert::decl(&cfg),
        vetdesk_core::services::billing::CountOutcome::decl(&cfg),
        vetdesk_core::services::devices::Invitation::decl(&cfg),
        PrescribeRequest::decl(&cfg),
        PrescriptionOptions::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc`. Do not edit.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.push_str(&typescript_commands(&cfg));
    out
}

/// `ipcCommands(invoke)`: one typed function per command in the list, in its order,
/// named in camelCase, taking the command's request (if any) and resolving to its
/// response. `ui/src/ipc/api.ts` supplies `invoke` (Tauri's, with errors made `IpcError`s).
fn typescript_commands(cfg: &ts_rs::Config) -> String {
    let mut out = String::from(
        "/** Sends one command; `ui/src/ipc/api.ts` gives Tauri's invoke, errors made IpcErrors. */\n\
         export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>\n\n\
         /** Every IPC command, typed, from the list in crates/ipc/src/commands.rs. */\n\
         export function ipcCommands(invoke: Invoke) {\n  return {\n",
    );
    for command in crate::commands::signatures(cfg) {
        let function = camel_case(command.name);
        let (name, response) = (command.name, command.response);
        match command.request {
            Some(request) => out.push_str(&format!(
                "    {function}: (request: {request}) => invoke<{response}>('{name}', {{ request }}),\n"
            )),
            None => out.push_str(&format!(
                "    {function}: () => invoke<{response}>('{name}'),\n"
            )),
        }
    }
    out.push_str("  }\n}\n\nexport type IpcCommands = ReturnType<typeof ipcCommands>\n");
    out
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::camel_case;

    #[test]
    fn command_names_become_camel_case() {
        assert_eq!(camel_case("sign_in"), "signIn");
        assert_eq!(camel_case("second_factor_reset"), "secondFactorReset");
        assert_eq!(camel_case("search"), "search");
    }
}
