//! `copy --create-tables`: the source tables the target lacks. Before any DDL, the whole plan is
//! resolved against the target as it will be and every name is checked against the target's
//! limits; then the tables are created, with what they are still owed (unique keys, indexes,
//! foreign keys) recorded in the target; after the load, those keys are added: by this run,
//! or, when it stops first, by the next one.

use super::Refused;
use super::session::Pair;
use crate::config::Config;
use crate::engine::contract::{NativeDdl, OwedKind};
use crate::engine::ddl::{self, Parent, TakenNames};
use crate::engine::{EngineError, OwedDdl};
use crate::plan;
use crate::schema::{Schema, Table, TableName};

/// The tables this run creates, each with the name it gets in the target.
pub struct Created {
    tables: Vec<(Table, TableName)>,
    /// What could not be carried over, table by table, for the summary.
    omitted: ddl::Omissions,
    /// Every key was created with its table (MySQL's own definitions, none with a foreign
    /// key): none is owed.
    keys_inline: bool,
    /// Where the config's `target:` sends tables, for parents that already exist.
    renames: plan::Renames,
}

impl Created {
    pub fn nothing() -> Self {
        Created { tables: Vec::new(), omitted: Vec::new(), keys_inline: false, renames: Default::default() }
    }

    /// Every source table (not excluded) with no table of that name in the target.
    pub fn missing(config: &Config, pair: &Pair) -> Self {
        let excluded =
            |t: &Table| config.exclude.iter().any(|e| e.as_str() == t.name.name || e.as_str() == t.name.to_string());
        let schema = &pair.target.profile.default_schema;
        let renames = plan::Renames::of(config, &pair.source.schema);
        let tables = pair
            .source
            .schema
            .tables
            .iter()
            .filter(|t| !excluded(t) && renames.dest(&pair.target.schema, &t.name).is_none())
            .map(|t| (t.clone(), renames.created(&t.name, schema)))
            .collect();
        Created { tables, omitted: Vec::new(), keys_inline: false, renames }
    }

    /// Table and column names the target engine cannot take, all at once.
    pub fn check_names(&self, pair: &Pair) -> Result<(), Refused> {
        let limit = pair.target.profile.dialect.name_limit;
        let mut problems = Vec::new();
        for (table, name) in &self.tables {
            if let Some(p) = limit.problem(&name.name) {
                problems.push(format!("table {}: the name {p}", table.name));
            }
            for column in table.columns.iter().filter(|c| !c.generated) {
                if let Some(p) = limit.problem(&column.name) {
                    problems.push(format!("table {}, column {}: the name {p}", table.name, column.name));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(Refused(problems.join("\n"))) }
    }

    /// The target's schema once these tables exist: each is its source definition with the
    /// name and column types it will have, so the plan is resolved before anything is created.
    pub fn stand_in(&self, pair: &Pair) -> Schema {
        let d = pair.target.profile.dialect;
        let mut schema = pair.target.schema.clone();
        for (table, name) in &self.tables {
            let mut t = Table { name: name.clone(), ..table.clone() };
            for (i, column) in t.columns.iter_mut().enumerate() {
                *column = ddl::target_column(&d, table, i, pair.same_engine());
            }
            schema.tables.push(t);
        }
        schema
    }

    /// Create the tables, recording the keys they are owed, and read the target's schema again.
    pub async fn create(&mut self, pair: &mut Pair) -> anyhow::Result<()> {
        if self.tables.is_empty() {
            return Ok(());
        }
        let sources: Vec<Table> = self.tables.iter().map(|(t, _)| t.clone()).collect();
        // The engine's own definitions name the source's tables: a renamed one takes the
        // portable mapping, which is written for the name it is given.
        let renamed = self.tables.iter().any(|(t, n)| t.name.name != n.name);
        let native =
            if pair.same_engine() && !renamed { pair.source.engine.native_ddl(&sources).await? } else { Vec::new() };
        let (creates, owed) =
            if native.len() == self.tables.len() { self.native(pair, native) } else { self.portable(pair) };
        self.keys_inline = owed.is_empty();
        pair.target.engine.execute_ddl(&creates, &owed).await?;
        pair.reintrospect_target().await?;
        tracing::info!(tables = self.tables.len(), keys = owed.len(), "created the missing target tables");
        Ok(())
    }

    /// Statements in the source engine's own SQL (same engine): everything it has is kept.
    fn native(&mut self, pair: &Pair, native: Vec<NativeDdl>) -> (Vec<String>, Vec<OwedDdl>) {
        let mut statements: Vec<String> = Vec::new();
        for prelude in native.iter().flat_map(|n| &n.prelude) {
            if !statements.contains(prelude) {
                statements.push(prelude.clone());
            }
        }
        statements.extend(native.iter().flat_map(|n| n.create.iter().cloned()));
        let mut owed = Vec::new();
        let mut omitted = Vec::new();
        for ((table, name), n) in self.tables.iter().zip(&native) {
            // A foreign key to a table that is neither copied nor in the target could never be
            // added (as between engines, it is left out and said).
            let orphaned: Vec<&str> = table
                .foreign_keys
                .iter()
                .filter(|fk| self.parent(pair, &fk.references).is_none())
                .map(|fk| {
                    omitted.push((
                        name.clone(),
                        format!(
                            "foreign key {} to {}, which is neither copied nor in the target",
                            fk.name, fk.references
                        ),
                    ));
                    fk.name.as_str()
                })
                .collect();
            let kept = n
                .after
                .iter()
                .filter(|(kind, key, _)| *kind != OwedKind::ForeignKey || !orphaned.contains(&key.as_str()));
            owed.extend(kept.enumerate().map(|(seq, (kind, key, statement))| OwedDdl {
                table: name.clone(),
                seq: seq as u32,
                kind: *kind,
                name: key.clone(),
                statement: statement.clone(),
            }));
        }
        self.omitted = omitted;
        (statements, owed)
    }

    /// Statements in the portable mapping (between engines), and what it leaves out.
    fn portable(&mut self, pair: &Pair) -> (Vec<String>, Vec<OwedDdl>) {
        let d = pair.target.profile.dialect;
        let same_engine = pair.same_engine();
        let parents = |p: &TableName| self.parent(pair, p);
        let mut omitted = Vec::new();
        let creates: Vec<String> =
            self.tables.iter().map(|(t, n)| ddl::create_table(&d, t, n, same_engine, &parents, &mut omitted)).collect();
        let mut taken = TakenNames::of(&d, &pair.target.schema);
        let owed: Vec<OwedDdl> = self
            .tables
            .iter()
            .flat_map(|(t, n)| ddl::keys_after_load(&d, t, n, &parents, &mut taken, &mut omitted))
            .collect();
        omitted.dedup();
        self.omitted = omitted;
        (creates, owed)
    }

    /// Drop the tables this run created (nothing was loaded into them), and forget their keys:
    /// for a plan that fails once the real tables are there.
    pub async fn undo(&self, pair: &Pair) -> Result<(), EngineError> {
        let mine = |t: &TableName| self.tables.iter().any(|(_, n)| n == t);
        for debt in pair.target.engine.owed_ddl().await?.iter().filter(|d| mine(&d.table)) {
            pair.target.engine.settle_ddl(debt, false).await?;
        }
        let q = pair.target.profile.dialect.quote;
        let drops: Vec<String> = self.tables.iter().map(|(_, n)| format!("DROP TABLE {}", q.table(n))).collect();
        pair.target.engine.execute_ddl(&drops, &[]).await
    }

    /// A foreign key's parent as it is, or will be, in the target.
    fn parent(&self, pair: &Pair, parent: &TableName) -> Option<Parent> {
        let d = pair.target.profile.dialect;
        if let Some((def, name)) = self.tables.iter().find(|(t, _)| &t.name == parent) {
            let columns = (0..def.columns.len()).map(|i| ddl::target_column(&d, def, i, pair.same_engine())).collect();
            return Some(Parent { name: name.clone(), columns });
        }
        let there = self.renames.dest(&pair.target.schema, parent)?;
        Some(Parent { name: there.name.clone(), columns: there.columns.clone() })
    }

    fn names(&self) -> Vec<String> {
        self.tables.iter().map(|(_, n)| n.to_string()).collect()
    }
}

/// What adding the owed keys came to.
pub struct Settled {
    /// For the run summary.
    pub notes: Vec<String>,
    /// Each key that could not be added, with the reason; they stay owed.
    pub failures: Vec<String>,
}

/// After the load: every key the target is owed (this run's, and any an earlier run left), each
/// added on its own, so one that fails does not stop the others.
pub async fn settle_owed(pair: &Pair, created: &Created) -> Result<Settled, EngineError> {
    let owed = pair.target.engine.owed_ddl().await?;
    let mine = |t: &TableName| created.tables.iter().any(|(_, n)| n == t);
    let (mut added, mut earlier, mut failures) = (0, 0, Vec::new());
    for debt in &owed {
        if pair.target.schema.table(&debt.table).is_none() {
            tracing::warn!("forgetting {debt}: its table is no longer in the target");
            pair.target.engine.settle_ddl(debt, false).await?;
            continue;
        }
        match pair.target.engine.settle_ddl(debt, true).await {
            Ok(()) => {
                added += 1;
                earlier += usize::from(!mine(&debt.table));
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    let mut parts = Vec::new();
    if !created.tables.is_empty() {
        let n = created.tables.len();
        let count = if n == 1 { "1 table".to_string() } else { format!("{n} tables") };
        let with_keys = if created.keys_inline { " with every key and index they have" } else { "" };
        parts.push(format!("created {} ({count}){with_keys}", created.names().join(", ")));
    }
    if added > 0 {
        let from_earlier = if earlier > 0 {
            format!(", {earlier} of them owed since an earlier run that stopped")
        } else {
            String::new()
        };
        parts.push(format!("added {added} unique keys, indexes and foreign keys after the load{from_earlier}"));
    }
    let mut notes: Vec<String> =
        (!parts.is_empty()).then(|| format!("target: {}", parts.join("; "))).into_iter().collect();
    // One line per table for what its engine pair could not carry over.
    let mut by_table: Vec<(&TableName, Vec<&str>)> = Vec::new();
    for (table, what) in &created.omitted {
        match by_table.iter_mut().find(|(t, _)| *t == table) {
            Some((_, list)) => list.push(what),
            None => by_table.push((table, vec![what])),
        }
    }
    notes.extend(by_table.into_iter().map(|(t, list)| format!("target: {t} was created without {}", list.join(", "))));
    Ok(Settled { notes, failures })
}
