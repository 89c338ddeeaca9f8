//! The table printed when a run ends.

use std::time::Duration;

use crate::data::mode::Mode;
use crate::schema::TableName;

/// One table's result.
#[derive(Clone, Debug)]
pub struct TableStats {
    /// The table written, by its name in the target.
    pub table: TableName,
    pub mode: Mode,
    pub rows: u64,
    /// Rows the source gave (before a subset kept its own).
    pub read: u64,
    /// Rows a mirror deleted.
    pub deleted: u64,
    pub masked: Vec<String>,
    pub elapsed: Duration,
}

pub fn render(stats: &[TableStats], notes: &[String]) -> String {
    let header = ["table", "mode", "rows", "masked columns", "seconds", "rows/s"];
    let mut rows: Vec<[String; 6]> = stats
        .iter()
        .map(|s| {
            let secs = s.elapsed.as_secs_f64();
            [
                s.table.to_string(),
                match s.deleted {
                    0 => s.mode.to_string(),
                    n => format!("{}, {n} deleted", s.mode),
                },
                s.rows.to_string(),
                masked_list(&s.masked),
                format!("{secs:.2}"),
                format!("{:.0}", s.rows as f64 / secs.max(1e-6)),
            ]
        })
        .collect();
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    let total_rows: u64 = stats.iter().map(|s| s.rows).sum();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            // Numbers right-aligned, words left-aligned.
            if matches!(i, 2 | 4 | 5) {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            }
            out.push_str("  ");
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(String::from));
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for r in &rows {
        out.push_str(&line(r));
    }
    let deleted: u64 = stats.iter().map(|s| s.deleted).sum();
    match deleted {
        0 => out.push_str(&format!("{} tables, {total_rows} rows copied\n", stats.len())),
        d => out.push_str(&format!("{} tables, {total_rows} rows copied, {d} deleted\n", stats.len())),
    }
    for n in notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// Column names up to about 40 characters, then a count of the rest.
fn masked_list(columns: &[String]) -> String {
    const WIDTH: usize = 40;
    if columns.is_empty() {
        return "-".into();
    }
    let mut out = String::new();
    for (i, c) in columns.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        if i > 0 && out.chars().count() + sep.len() + c.chars().count() > WIDTH {
            return format!("{out} +{} more", columns.len() - i);
        }
        out.push_str(sep);
        out.push_str(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_aligned_rows_and_notes() {
        let stats = vec![TableStats {
            table: TableName::new("public", "users"),
            mode: Mode::Upsert,
            rows: 1200,
            read: 1200,
            deleted: 0,
            masked: vec!["email".into()],
            elapsed: Duration::from_millis(500),
        }];
        let text = render(&stats, &["triggers were off".into()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "table         mode    rows  masked columns  seconds  rows/s");
        assert_eq!(lines[2], "public.users  upsert  1200  email              0.50    2400");
        assert_eq!(lines[3], "1 tables, 1200 rows copied");
        assert_eq!(lines[4], "note: triggers were off");
    }

    #[test]
    fn long_masked_lists_are_cut_with_a_count() {
        let cols: Vec<String> =
            ["email", "first_name", "last_name", "phone", "street", "city", "zip"].map(String::from).into();
        assert_eq!(masked_list(&cols), "email, first_name, last_name, phone +3 more");
        assert_eq!(masked_list(&cols[..2]), "email, first_name");
        assert_eq!(masked_list(&[]), "-");
    }
}
