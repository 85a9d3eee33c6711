//! The import plan from `--plan FILE` and the plan flags (flags win).

use chrono::{DateTime, NaiveDate, Utc};
use tieout::{CustomerFilter, CustomerMatch, ImportPlan, InvoiceStatus, ObjectScope};

use crate::args::PlanArgs;
use crate::fail::Failure;

/// Builds the plan. A plan file holds any `ImportPlan` fields as JSON; the rest
/// keep their defaults.
pub fn build(args: &PlanArgs) -> Result<ImportPlan, Failure> {
    let mut plan = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("plan file {}: {e}", path.display())))?;
            from_json(&text)
                .map_err(|e| Failure::usage(format!("plan file {}: {e}", path.display())))?
        }
        None => ImportPlan::default(),
    };
    if !args.objects.is_empty() {
        let objects = args
            .objects
            .iter()
            .map(|o| {
                ObjectScope::parse(o.trim())
                    .ok_or_else(|| Failure::usage(format!("unknown object kind {o:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        plan = plan.objects(objects);
    }
    if let Some(id) = &args.fixed_customer {
        plan = plan.fixed_customer(id);
    }
    if args.match_by_email {
        plan.match_by_email = true;
    }
    let list = |l: &[String]| l.iter().map(|s| CustomerMatch::parse(s.trim())).collect();
    if !args.only_customers.is_empty() {
        plan = plan.customer_filter(CustomerFilter::Allow(list(&args.only_customers)));
    }
    if !args.exclude_customers.is_empty() {
        plan = plan.customer_filter(CustomerFilter::Exclude(list(&args.exclude_customers)));
    }
    if let Some(w) = &args.created_from {
        plan.created_from = Some(when(w, false)?);
    }
    if let Some(w) = &args.created_to {
        plan.created_to = Some(when(w, true)?);
    }
    if !args.statuses.is_empty() {
        let statuses = args
            .statuses
            .iter()
            .map(|s| {
                InvoiceStatus::parse(s.trim())
                    .ok_or_else(|| Failure::usage(format!("unknown invoice status {s:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        plan = plan.invoice_statuses(statuses);
    }
    if let Some(p) = &args.paid_invoices {
        plan.paid_invoices = enum_value(p)?;
    }
    if let Some(u) = &args.unpaid_invoices {
        plan.unpaid_invoices = enum_value(u)?;
    }
    Ok(plan)
}

/// The plan in a JSON document laid over the default plan.
fn from_json(text: &str) -> Result<ImportPlan, String> {
    let given: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(given) = given else {
        return Err("a plan file holds one JSON object".into());
    };
    let mut merged = serde_json::to_value(ImportPlan::default()).map_err(|e| e.to_string())?;
    let defaults = merged
        .as_object_mut()
        .ok_or_else(|| "the default plan is not an object".to_string())?;
    for (k, v) in given {
        if !defaults.contains_key(&k) {
            return Err(format!("unknown plan field {k:?}"));
        }
        defaults.insert(k, v);
    }
    serde_json::from_value(merged).map_err(|e| e.to_string())
}

fn enum_value<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, Failure> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| Failure::usage(format!("unknown value {s:?}")))
}

/// A date (`YYYY-MM-DD`: its start, or its end when `end_of_day`) or an RFC 3339 time.
fn when(s: &str, end_of_day: bool) -> Result<DateTime<Utc>, Failure> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| Failure::usage(format!("{s:?} is neither YYYY-MM-DD nor an RFC 3339 time")))?;
    let t = if end_of_day {
        day.and_hms_opt(23, 59, 59)
    } else {
        day.and_hms_opt(0, 0, 0)
    };
    t.map(|t| t.and_utc())
        .ok_or_else(|| Failure::usage(format!("bad date {s:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_file_overrides_only_what_it_names() {
        let plan = from_json(r#"{"invoice_statuses": ["open"], "match_by_email": true}"#).unwrap();
        assert_eq!(plan.invoice_statuses, [InvoiceStatus::Open]);
        assert!(plan.match_by_email);
        assert_eq!(plan.objects, ImportPlan::default().objects);
        assert!(from_json(r#"{"invoice_status": ["open"]}"#).is_err());
        assert!(from_json("[]").is_err());
    }

    #[test]
    fn dates_cover_whole_days() {
        let from = when("2026-01-31", false).unwrap();
        let to = when("2026-01-31", true).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-01-31T00:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-01-31T23:59:59+00:00");
        assert!(when("31/01/2026", false).is_err());
    }
}
