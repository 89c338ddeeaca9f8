//! What every command sets up, once: the URLs (command line, then environment, then config),
//! the connections, the schemas as introspected, and the plan.

use std::sync::Arc;

use crate::config::{Config, Connection};
use crate::engine::url::DbUrl;
use crate::engine::{
    self, BatchLimits, ConnectOptions, EngineError, Side, Source, SourceProfile, Target, TargetProfile,
};
use crate::mask::Keyring;
use crate::plan::{self, Plan, PlanOptions};
use crate::schema::Schema;

use super::Refused;

/// Rows per batch when only sampling (check, init): a read of a few hundred rows.
const SAMPLE_LIMITS: BatchLimits = BatchLimits { rows: 1000, bytes: 1 << 20 };

/// A URL from the command line (clap has already taken `DBTWIN_SOURCE`/`DBTWIN_TARGET`) or the
/// config, `what` naming it ("source", "target"). A URL from the command line replaces the
/// config's entry whole, its `user` and `password` too.
pub fn url(cli_value: Option<&str>, config_value: Option<&Connection>, what: &'static str) -> anyhow::Result<DbUrl> {
    if let Some(text) = cli_value {
        return Ok(DbUrl::parse(text, what)?);
    }
    let connection = config_value.ok_or_else(|| {
        Refused(format!(
            "no {what} database: give --{what} URL, set DBTWIN_{}, or add `{what}:` to the config",
            what.to_uppercase()
        ))
    })?;
    let url = DbUrl::parse(connection.url.0.as_str(), what)?;
    let (user, password) = (connection.user.as_ref(), connection.password.as_ref());
    Ok(url.with_login(user.map(|u| u.as_str()), password.map(|p| p.as_str()), what)?)
}

/// The schemas the config names (empty: each engine's default).
pub fn schemas(config: &Config) -> Vec<String> {
    config.schemas.iter().map(|s| s.as_str().to_string()).collect()
}

/// A schema the config lists but the source has no table in is a typo or a missing grant, not
/// a twin with fewer tables.
fn listed_schemas_have_tables(schemas: &[String], source: &Schema) -> Result<(), Refused> {
    let empty: Vec<&str> =
        schemas.iter().filter(|s| !source.tables.iter().any(|t| &t.name.schema == *s)).map(String::as_str).collect();
    if empty.is_empty() {
        return Ok(());
    }
    Err(Refused(format!(
        "schemas: the source has no table in {} (it does not exist, or this user cannot see its tables)",
        empty.join(", ")
    )))
}

/// The source, connected read-only, and its schema.
pub struct SourceSide {
    pub url: DbUrl,
    pub engine: Arc<dyn Source>,
    pub profile: SourceProfile,
    pub schema: Schema,
}

impl SourceSide {
    pub async fn open(url: DbUrl, jobs: usize, schemas: &[String]) -> anyhow::Result<Self> {
        let connected = engine::connect_source(&url, ConnectOptions::jobs(jobs)).await?;
        let schema = connected.engine.introspect(schemas).await?;
        listed_schemas_have_tables(schemas, &schema)?;
        Ok(SourceSide { url, engine: Arc::from(connected.engine), profile: connected.profile, schema })
    }

    /// A target opened for reading only (`verify`): its snapshot, its schema. A connection
    /// that fails says it was the target's.
    pub async fn open_target(url: DbUrl, jobs: usize, schemas: &[String]) -> anyhow::Result<Self> {
        let connected = engine::connect_source(&url, ConnectOptions::jobs(jobs)).await.map_err(|e| match e {
            EngineError::Connect { url, message, .. } => EngineError::Connect { side: Side::Target, url, message },
            e => e,
        })?;
        let schema = connected.engine.introspect(schemas).await?;
        Ok(SourceSide { url, engine: Arc::from(connected.engine), profile: connected.profile, schema })
    }

    /// The copy's plan from this source into `target`, as `verify` checks it.
    pub fn plan_into(&self, config: &Config, target: &SourceSide) -> anyhow::Result<Plan> {
        let options = PlanOptions {
            source: self.profile.forms,
            target: target.profile.forms,
            same_engine: self.url.engine() == target.url.engine(),
            checks_off: true,
            limits: BatchLimits { rows: 10_000, bytes: 1 << 20 },
            alone: false,
        };
        Ok(plan::resolve(config, &self.schema, &target.schema, options)?)
    }

    /// The plan of `config` against the source alone, for commands that write nothing (check,
    /// init): the source stands in for the target, so target-side checks are `copy`'s.
    pub fn plan_alone(&self, config: &Config) -> anyhow::Result<Plan> {
        let forms = self.profile.forms;
        let options = PlanOptions {
            source: forms,
            target: forms,
            same_engine: true,
            checks_off: true,
            limits: SAMPLE_LIMITS,
            alone: true,
        };
        Ok(plan::resolve(config, &self.schema, &self.schema, options)?)
    }
}

/// The target, connected, and its schema.
pub struct TargetSide {
    pub url: DbUrl,
    pub engine: Arc<dyn Target>,
    pub profile: TargetProfile,
    pub schema: Schema,
}

/// Both ends of a copy.
pub struct Pair {
    pub source: SourceSide,
    pub target: TargetSide,
    pub schemas: Vec<String>,
}

impl Pair {
    /// Connect both ends at once and read their schemas. A target that is the source (by its
    /// URL, or by what the servers report) is refused before anything is written.
    pub async fn open(
        source_url: DbUrl,
        target_url: DbUrl,
        options: ConnectOptions,
        schemas: Vec<String>,
    ) -> anyhow::Result<Self> {
        if source_url.same_database(&target_url) {
            return Err(Refused(format!(
                "source and target are the same database ({target_url}); dbtwin never writes to its source"
            ))
            .into());
        }
        let (source, target) = tokio::try_join!(
            engine::connect_source(&source_url, options),
            engine::connect_target(&target_url, options)
        )?;
        if source.profile.identity == target.profile.identity {
            return Err(Refused(format!(
                "source {source_url} and target {target_url} are the same database on the same server; dbtwin never \
                 writes to its source"
            ))
            .into());
        }
        let (source_schema, target_schema) =
            tokio::try_join!(source.engine.introspect(&schemas), target.engine.introspect(&schemas))?;
        listed_schemas_have_tables(&schemas, &source_schema)?;
        let (source_engine, target_engine) = (Arc::from(source.engine), Arc::from(target.engine));
        Ok(Pair {
            source: SourceSide {
                url: source_url,
                engine: source_engine,
                profile: source.profile,
                schema: source_schema,
            },
            target: TargetSide {
                url: target_url,
                engine: target_engine,
                profile: target.profile,
                schema: target_schema,
            },
            schemas,
        })
    }

    pub fn same_engine(&self) -> bool {
        self.source.url.engine() == self.target.url.engine()
    }

    /// Read the target's schema again (after creating tables).
    pub async fn reintrospect_target(&mut self) -> anyhow::Result<()> {
        self.target.schema = self.target.engine.introspect(&self.schemas).await?;
        Ok(())
    }

    /// The copy's plan: every table, its reads, masks, conversions and writes.
    pub fn plan(&self, config: &Config, batch_rows: usize) -> anyhow::Result<Plan> {
        self.plan_against(config, batch_rows, &self.target.schema)
    }

    /// The copy's plan against `target`, the target's schema as it is or as it will be.
    pub fn plan_against(&self, config: &Config, batch_rows: usize, target: &Schema) -> anyhow::Result<Plan> {
        let options = PlanOptions {
            source: self.source.profile.forms,
            target: self.target.profile.forms,
            same_engine: self.same_engine(),
            checks_off: self.target.profile.load.foreign_keys_off,
            limits: BatchLimits { rows: batch_rows, bytes: 1 << 20 },
            alone: false,
        };
        Ok(plan::resolve(config, &self.source.schema, target, options)?)
    }
}

/// The run's mask key: the config's secret, else `--seed`, else a random one.
pub fn keyring(config: &Config, seed: Option<u64>) -> Keyring {
    match (&config.secret, seed) {
        (Some(s), _) => Keyring::from_secret(s.as_str()),
        (None, Some(seed)) => Keyring::from_seed(seed),
        (None, None) => Keyring::random(),
    }
}
