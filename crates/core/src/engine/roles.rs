//! Who may do what. Roles are checked here, in core, on every service call: the UI
//! hides what a role cannot do, but hiding is not the protection.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A staff member's role. One person may hold several (a practice owner who is also a vet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Owner or practice manager: staff, devices, clinic settings, audit.
    Admin,
    Vet,
    Nurse,
    FrontDesk,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Vet, Role::Nurse, Role::FrontDesk];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Vet => "vet",
            Role::Nurse => "nurse",
            Role::FrontDesk => "front_desk",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a service call needs permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ManageStaff,
    ManageDevices,
    ManageClinic,
    ViewAudit,
    /// See clients, patients (demographics, alerts, allergies) and weights, and search.
    ViewClients,
    /// See the clinic's colleagues, rooms, catalog and stock levels.
    ViewClinic,
    /// Clients, patients (demographics, alerts, allergies), weights.
    EditClientsAndPatients,
    /// Appointments and the waitlist.
    Schedule,
    /// Read SOAP notes, diagnoses, problems, vitals, prescriptions, conflicts.
    ReadClinical,
    /// Write draft SOAP notes, vitals, diagnoses and problems.
    WriteClinical,
    SignEncounter,
    Prescribe,
    /// Estimates, invoices, payments, the register's daily close.
    Bill,
    /// Receive, count, adjust and write off stock.
    ManageStock,
    /// Products, services and their prices.
    ManageCatalog,
    /// Dispense a controlled (scheduled) drug: finalizing an invoice that holds one.
    DispenseControlled,
    /// Void a finalized invoice, refund a payment, issue a credit note.
    VoidAndRefund,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ManageStaff => "manage staff",
            Permission::ManageDevices => "manage devices",
            Permission::ManageClinic => "manage the clinic",
            Permission::ViewAudit => "view the audit log",
            Permission::ViewClients => "see clients and patients",
            Permission::ViewClinic => "see the clinic's staff, rooms and catalog",
            Permission::EditClientsAndPatients => "edit clients and patients",
            Permission::Schedule => "book appointments",
            Permission::ReadClinical => "read clinical notes",
            Permission::WriteClinical => "write clinical notes",
            Permission::SignEncounter => "sign encounters",
            Permission::Prescribe => "prescribe",
            Permission::Bill => "bill clients",
            Permission::ManageStock => "manage stock",
            Permission::ManageCatalog => "change products, services and prices",
            Permission::DispenseControlled => "dispense controlled drugs",
            Permission::VoidAndRefund => "void invoices and refund payments",
        }
    }
}

/// Whether `role` grants `permission`: the whole policy, in one table.
pub fn grants(role: Role, permission: Permission) -> bool {
    use Permission as P;
    match role {
        Role::Admin => !matches!(
            permission,
            P::SignEncounter | P::Prescribe | P::DispenseControlled
        ),
        Role::Vet => !matches!(
            permission,
            P::ManageStaff
                | P::ManageDevices
                | P::ManageClinic
                | P::ViewAudit
                | P::ManageCatalog
                | P::VoidAndRefund
        ),
        Role::Nurse => matches!(
            permission,
            P::ViewClients
                | P::ViewClinic
                | P::EditClientsAndPatients
                | P::Schedule
                | P::ReadClinical
                | P::WriteClinical
                | P::Bill
                | P::ManageStock
                | P::DispenseControlled
        ),
        Role::FrontDesk => matches!(
            permission,
            P::ViewClients | P::ViewClinic | P::EditClientsAndPatients | P::Schedule | P::Bill
        ),
    }
}

/// The largest discount (basis points) a role may give on a line: the front desk 5 %,
/// nurses 10 %, vets 20 %, admins anything.
pub fn max_discount_bp(role: Role) -> i64 {
    match role {
        Role::Admin => 10_000,
        Role::Vet => 2_000,
        Role::Nurse => 1_000,
        Role::FrontDesk => 500,
    }
}

/// The roles one staff member holds, kept sorted and unique.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut roles: Vec<Role> = roles.into_iter().collect();
        roles.sort();
        roles.dedup();
        Self(roles)
    }

    /// Parses the stored form, `admin,vet`; unknown names are ignored (a newer build's
    /// role grants nothing here).
    pub fn parse(stored: &str) -> Self {
        Self::new(stored.split(',').filter_map(Role::parse))
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn allow(&self, permission: Permission) -> bool {
        self.0.iter().any(|role| grants(*role, permission))
    }
}

/// The signed-in staff member a service call acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub staff_id: Uuid,
    pub name: String,
    pub roles: Roles,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        self.roles.allow(permission)
    }

    /// The largest discount this person may give (the highest of their roles').
    pub fn max_discount_bp(&self) -> i64 {
        self.roles.iter().map(max_discount_bp).max().unwrap_or(0)
    }

    /// `Ok` when allowed, else the typed refusal (which the store audits).
    pub fn require(&self, permission: Permission) -> crate::Result<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(crate::Error::Forbidden {
                action: permission.as_str(),
                roles: self.roles.to_stored(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission as P;

    #[test]
    fn the_policy_table() {
        // (role, permission, granted)
        let cases = [
            (Role::Vet, P::SignEncounter, true),
            (Role::Vet, P::Prescribe, true),
            (Role::Vet, P::ManageStaff, false),
            (Role::Nurse, P::WriteClinical, true),
            (Role::Nurse, P::SignEncounter, false),
            (Role::Nurse, P::Prescribe, false),
            (Role::FrontDesk, P::ReadClinical, false),
            (Role::FrontDesk, P::WriteClinical, false),
            (Role::FrontDesk, P::Schedule, true),
            (Role::FrontDesk, P::EditClientsAndPatients, true),
            (Role::FrontDesk, P::ManageStaff, false),
            (Role::Admin, P::ManageStaff, true),
            (Role::Admin, P::ManageDevices, true),
            (Role::Admin, P::ViewAudit, true),
            (Role::Admin, P::SignEncounter, false),
            (Role::Admin, P::Prescribe, false),
            (Role::FrontDesk, P::Bill, true),
            (Role::FrontDesk, P::ManageStock, false),
            (Role::FrontDesk, P::DispenseControlled, false),
            (Role::FrontDesk, P::VoidAndRefund, false),
            (Role::Nurse, P::ManageStock, true),
            (Role::Nurse, P::DispenseControlled, true),
            (Role::Nurse, P::ManageCatalog, false),
            (Role::Vet, P::DispenseControlled, true),
            (Role::Vet, P::ManageCatalog, false),
            (Role::Vet, P::VoidAndRefund, false),
            (Role::Admin, P::ManageCatalog, true),
            (Role::Admin, P::VoidAndRefund, true),
            (Role::Admin, P::DispenseControlled, false),
        ];
        for (role, permission, granted) in cases {
            assert_eq!(grants(role, permission), granted, "{role} {permission:?}");
        }
    }

    #[test]
    fn an_owner_who_is_a_vet_has_both() {
        let roles = Roles::parse("vet,admin,bogus");
        assert_eq!(roles.to_stored(), "admin,vet");
        assert!(roles.allow(P::ManageStaff) && roles.allow(P::SignEncounter));
    }
}
