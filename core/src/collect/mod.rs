//! Receivables: collection cases, overdue follow-ups and AR aging, planned
//! purely from the books and a clock passed in.

mod aging;
mod case;
mod cases;
mod export;
mod followup;
mod history;
mod policy;

pub use aging::{AgingReport, AgingRow, aging};
pub use case::{AgeBasis, CaseEvent, CaseStatus, CollectionCase, Debtor};
pub use cases::{
    CaseFilter, CaseOpening, CasePolicy, CaseRefusal, DebtorField, age_from, case_id, follow_books,
    is_collectible, open_cases, plan_cases,
};
pub use export::{cases_csv, cases_json};
pub use followup::{
    DueFollowUp, PlannedFollowUp, due_follow_ups, follow_up_purpose, plan_follow_ups,
    skip_quiet_days, step_date,
};
pub use history::{CustomerHistory, histories};
pub use policy::{FollowUpPolicy, FollowUpStep, MessageTemplate};
