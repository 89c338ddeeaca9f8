//! `copy --create-tables`: the source tables the target lacks, created before any row moves;
//! their unique keys, indexes and foreign keys added after the load.

use anyhow::Context;

use super::session::Pair;
use crate::config::Config;
use crate::engine::{EngineError, ddl};
use crate::plan;
use crate::schema::{Table, TableName};

/// The tables this run created, each with the name it got in the target.
pub struct Created {
    tables: Vec<(Table, TableName)>,
}

impl Created {
    pub fn nothing() -> Self {
        Created { tables: Vec::new() }
    }

    /// Create every source table (not excluded) with no table of that name in the target, then
    /// read the target's schema again so the plan sees them.
    pub async fn create(config: &Config, pair: &mut Pair) -> anyhow::Result<Self> {
        let created = Created { tables: missing(config, pair) };
        if created.tables.is_empty() {
            return Ok(created);
        }
        let same_engine = pair.same_engine();
        created.execute(pair, |d, t, n, keys| vec![ddl::create_table(d, t, n, same_engine, keys)]).await?;
        pair.reintrospect_target().await?;
        tracing::info!(tables = created.tables.len(), "created the missing target tables");
        Ok(created)
    }

    /// After the load: the keys and foreign keys of the created tables, and the summary's note.
    pub async fn add_keys(&self, pair: &Pair) -> anyhow::Result<Option<String>> {
        if self.tables.is_empty() {
            return Ok(None);
        }
        self.execute(pair, ddl::keys_after_load).await.context("adding keys to the created tables")?;
        let names: Vec<String> = self.tables.iter().map(|(_, n)| n.to_string()).collect();
        Ok(Some(format!(
            "target: created {} ({}); unique keys and foreign keys were added after the load",
            names.join(", "),
            if self.tables.len() == 1 { "1 table" } else { "tables" }
        )))
    }

    /// Run the statements `build` gives for each created table, in order.
    async fn execute(
        &self,
        pair: &Pair,
        build: impl Fn(&ddl::Dialect, &Table, &TableName, ddl::ParentKeys) -> Vec<String>,
    ) -> Result<(), EngineError> {
        let dialect = pair.target.profile.dialect;
        let statements: Vec<String> =
            self.tables.iter().flat_map(|(t, n)| build(&dialect, t, n, &|p| self.parent_keys(pair, p))).collect();
        pair.target.engine.execute_ddl(&statements).await
    }

    /// A foreign key's parent in the target, and the parent's key columns (the source's).
    fn parent_keys(&self, pair: &Pair, parent: &TableName) -> Option<(TableName, Vec<String>)> {
        let def = pair.source.schema.table(parent)?;
        let name = self
            .tables
            .iter()
            .find(|(t, _)| &t.name == parent)
            .map(|(_, n)| n.clone())
            .or_else(|| plan::target_table(&pair.target.schema, parent).map(|t| t.name.clone()))?;
        Some((name, def.primary_key.iter().map(|&i| def.columns[i].name.clone()).collect()))
    }
}

/// Source tables (not excluded) with no table of that name in the target, each with the name it
/// gets there.
fn missing(config: &Config, pair: &Pair) -> Vec<(Table, TableName)> {
    let excluded =
        |t: &Table| config.exclude.iter().any(|e| e.as_str() == t.name.name || e.as_str() == t.name.to_string());
    let schema = &pair.target.profile.default_schema;
    pair.source
        .schema
        .tables
        .iter()
        .filter(|t| !excluded(t) && plan::target_table(&pair.target.schema, &t.name).is_none())
        .map(|t| (t.clone(), TableName::new(schema.clone(), t.name.name.clone())))
        .collect()
}
