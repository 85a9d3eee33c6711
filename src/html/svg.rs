//! Inline SVG bar charts (no scripts, no external resources).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::escape;

/// A horizontal bar chart: one labelled bar per `(label, value)`, widths
/// proportional to the largest value. Each bar carries `data-label` and
/// `data-value` (the exact decimal) so tests can read it.
pub fn bars(id: &str, title: &str, rows: &[(&str, Decimal)]) -> String {
    const W: f64 = 360.0;
    const ROW: f64 = 24.0;
    const LABEL: f64 = 110.0;
    let max = rows
        .iter()
        .map(|(_, v)| v.abs().to_f64().unwrap_or(0.0))
        .fold(0.0_f64, f64::max);
    let height = ROW * rows.len() as f64 + 8.0;
    let mut svg = format!(
        r#"<svg class="chart" id="{}" role="img" aria-label="{}" width="{}" height="{height}" viewBox="0 0 {} {height}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(id),
        escape(title),
        LABEL + W + 120.0,
        LABEL + W + 120.0
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        // Widths are drawing only; the exact figure is the text and data-value.
        let share = if max > 0.0 {
            value.abs().to_f64().unwrap_or(0.0) / max
        } else {
            0.0
        };
        let width = (W * share).max(if value.is_zero() { 0.0 } else { 1.0 });
        svg.push_str(&format!(
            r#"<text x="0" y="{ty}" class="label">{label}</text><rect class="bar bar-{i}" data-label="{label}" data-value="{value}" x="{LABEL}" y="{y}" width="{width:.1}" height="{h}"/><text x="{tx:.1}" y="{ty}" class="value">{value}</text>"#,
            ty = y + 15.0,
            label = escape(label),
            h = ROW - 6.0,
            tx = LABEL + width + 6.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}
