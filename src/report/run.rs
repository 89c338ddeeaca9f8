//! `copy --report FILE`: the run as one JSON document, for the team that leaves a refresh
//! running for years. It is written when the run ends however it ends (success, a failed
//! table, bad input, an interrupt), through a temporary file renamed over the old report, so a
//! reader never sees half of one.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::TableStats;
use crate::data::dates::civil_from_days;
use crate::data::mode::Mode;
use crate::schema::TableName;

/// What a run did, noted as it goes: the ends (their URLs redacted), the tables it plans to
/// write, and each table as it commits. Kept apart from the run's own future, which an
/// interrupt drops.
#[derive(Default)]
pub struct RunRecord {
    inner: Mutex<Noted>,
}

#[derive(Default)]
struct Noted {
    source: Option<String>,
    target: Option<String>,
    planned: Vec<Planned>,
    done: Vec<TableStats>,
    watermarks: Vec<Watermark>,
}

/// Where an incremental table's read started and the mark its commit stores.
#[derive(Clone, Debug)]
pub struct Watermark {
    /// By its target name, as the table's lines are.
    pub table: TableName,
    pub column: String,
    /// The lower bound read from (`None`: every row).
    pub from: Option<String>,
    /// The mark stored with the rows: the largest value in this run's snapshot.
    pub after: Option<String>,
}

impl Watermark {
    fn json(&self, committed: bool) -> Value {
        json!({
            "column": self.column,
            "read_from": self.from,
            // A table that did not commit left the mark as it was.
            "after": if committed { self.after.clone() } else { None },
        })
    }
}

/// A table the run will write.
pub struct Planned {
    /// By its source name, as a failed table is named.
    pub source: TableName,
    pub target: TableName,
    pub mode: Mode,
    pub masked: Vec<String>,
    /// What the plan says of how the table is copied (a mode that could not apply, a cycle).
    pub note: Option<String>,
}

impl RunRecord {
    fn noted(&self) -> std::sync::MutexGuard<'_, Noted> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The two ends, as the run shows them (passwords redacted).
    pub fn ends(&self, source: String, target: String) {
        let mut n = self.noted();
        (n.source, n.target) = (Some(source), Some(target));
    }

    /// The tables the run will write.
    pub fn planned(&self, tables: Vec<Planned>) {
        self.noted().planned = tables;
    }

    /// The incremental tables' bounds, once settled.
    pub fn watermarks(&self, marks: Vec<Watermark>) {
        self.noted().watermarks = marks;
    }

    /// A table committed.
    pub fn committed(&self, stats: &TableStats) {
        self.noted().done.push(stats.clone());
    }
}

/// How the run ended, for the report.
pub struct Ending<'a> {
    pub exit_code: i32,
    /// What went wrong, as the run printed it.
    pub error: Option<String>,
    /// The table whose load failed (by its source name), when one did.
    pub failed_table: Option<&'a TableName>,
}

/// A report that will be written at `path`.
pub struct RunReport {
    path: PathBuf,
    temporary: PathBuf,
    started: SystemTime,
    config: PathBuf,
}

impl RunReport {
    /// Make sure the report can be written, before any row moves: its temporary file is
    /// created (and removed) next to it.
    pub fn open(path: &Path, config: &Path) -> Result<Self, String> {
        let name = path.file_name().ok_or_else(|| format!("--report {}: not a file name", path.display()))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(".dbtwin-tmp");
        let temporary = path.with_file_name(temporary_name);
        std::fs::File::create(&temporary)
            .and_then(|_| std::fs::remove_file(&temporary))
            .map_err(|e| format!("--report {}: cannot be written ({e})", path.display()))?;
        Ok(RunReport { path: path.to_path_buf(), temporary, started: SystemTime::now(), config: config.to_path_buf() })
    }

    /// Write the report of a run that ended so.
    pub fn write(&self, record: &RunRecord, ending: Ending<'_>) -> std::io::Result<()> {
        let doc = self.document(record, ending);
        let mut file = std::fs::File::create(&self.temporary)?;
        file.write_all(serde_json::to_string_pretty(&doc).expect("a JSON value serializes").as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&self.temporary, &self.path)
    }

    fn document(&self, record: &RunRecord, ending: Ending<'_>) -> Value {
        let noted = record.noted();
        let note = |table: &TableName| noted.planned.iter().find(|p| &p.target == table).and_then(|p| p.note.clone());
        let mark = |table: &TableName| noted.watermarks.iter().find(|w| &w.table == table);
        let mut tables: Vec<Value> = noted
            .done
            .iter()
            .map(|s| {
                let mut t = json!({
                    "table": s.table.to_string(),
                    "mode": s.mode.to_string(),
                    "status": "copied",
                    "rows_read": s.read,
                    "rows_written": s.rows,
                    "rows_deleted": s.deleted,
                    "masked_columns": s.masked,
                    "seconds": (s.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                });
                if let Some(note) = note(&s.table) {
                    t["note"] = json!(note);
                }
                if let Some(w) = mark(&s.table) {
                    t["watermark"] = w.json(true);
                }
                t
            })
            .collect();
        for Planned { source, target: table, mode, masked, note } in &noted.planned {
            if noted.done.iter().any(|s| &s.table == table) {
                continue;
            }
            let failed = ending.failed_table == Some(source);
            let mut t = json!({
                "table": table.to_string(),
                "mode": mode.to_string(),
                // A table that did not commit keeps the rows it had.
                "status": if failed { "failed" } else { "not copied" },
                "rows_written": 0,
                "rows_deleted": 0,
                "masked_columns": masked,
            });
            if failed && let Some(error) = &ending.error {
                t["error"] = json!(error);
            }
            if let Some(note) = note {
                t["note"] = json!(note);
            }
            if let Some(w) = mark(table) {
                t["watermark"] = w.json(false);
            }
            tables.push(t);
        }
        let config_blake3 = std::fs::read(&self.config).ok().map(|bytes| blake3::hash(&bytes).to_hex().to_string());
        json!({
            "dbtwin_version": env!("CARGO_PKG_VERSION"),
            "started_at": timestamp(self.started),
            "finished_at": timestamp(SystemTime::now()),
            "status": status(ending.exit_code),
            "exit_code": ending.exit_code,
            "error": ending.error,
            "source": noted.source,
            "target": noted.target,
            "config": self.config.display().to_string(),
            "config_blake3": config_blake3,
            "rows_written": noted.done.iter().map(|s| s.rows).sum::<u64>(),
            "rows_deleted": noted.done.iter().map(|s| s.deleted).sum::<u64>(),
            "tables": tables,
        })
    }
}

/// The run's status, in words, by its exit code.
fn status(code: i32) -> &'static str {
    match code {
        0 => "copied",
        2 => "refused",
        3 => "cannot connect",
        130 | 143 => "interrupted",
        _ => "failed",
    }
}

/// `2026-12-03T15:04:05Z`, in UTC.
pub fn timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_310_245);
        assert_eq!(timestamp(t), "2026-12-03T15:04:05Z");
    }

    #[test]
    fn a_failed_run_lists_every_planned_table() {
        let dir = std::env::temp_dir().join(format!("dbtwin-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.json");
        let report = RunReport::open(&path, Path::new("no-such-config.yaml")).unwrap();
        let record = RunRecord::default();
        let (a, b, c) = (TableName::new("s", "a"), TableName::new("s", "b"), TableName::new("s", "c"));
        let planned = |t: &TableName, mode, masked: &[&str]| Planned {
            source: t.clone(),
            target: t.clone(),
            mode,
            masked: masked.iter().map(|m| m.to_string()).collect(),
            note: None,
        };
        record.planned(vec![
            planned(&a, Mode::Mirror, &["email"]),
            planned(&b, Mode::Upsert, &[]),
            planned(&c, Mode::Upsert, &[]),
        ]);
        record.committed(&TableStats {
            table: a,
            mode: Mode::Mirror,
            rows: 10,
            read: 10,
            deleted: 2,
            masked: vec!["email".into()],
            elapsed: Duration::from_millis(1500),
        });
        let ending = Ending { exit_code: 1, error: Some("target: writing s.b: boom".into()), failed_table: Some(&b) };
        report.write(&record, ending).unwrap();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["status"], "failed");
        assert_eq!(doc["rows_deleted"], 2);
        let statuses: Vec<&str> =
            doc["tables"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["copied", "failed", "not copied"]);
        assert_eq!(doc["tables"][1]["error"], "target: writing s.b: boom");
        assert!(doc["config_blake3"].is_null());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_report_that_cannot_be_written_is_refused_first() {
        let err = RunReport::open(Path::new("/no/such/dir/run.json"), Path::new("c.yaml")).err().unwrap();
        assert!(err.starts_with("--report /no/such/dir/run.json: cannot be written"), "{err}");
    }
}
