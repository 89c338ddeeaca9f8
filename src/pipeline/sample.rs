//! A few rows of a table, read through the engine's own read path: what `check`, `init` and
//! `copy --dry-run` look at.

use crate::data::batch::Batch;
use crate::data::channel;
use crate::engine::{EngineError, ReadRequest, Source};

/// Up to `rows` rows of `request`'s columns.
pub async fn sample(source: &dyn Source, request: &ReadRequest, rows: u64) -> Result<Vec<Batch>, EngineError> {
    collect(source, &ReadRequest { sample: Some(rows), ..request.clone() }).await
}

/// Up to `rows` rows of `request`'s columns, handed to `look` batch by batch as they are read:
/// only a channel's worth of batches is held, however wide the rows.
pub async fn each(
    source: &dyn Source,
    request: &ReadRequest,
    rows: u64,
    look: impl FnMut(&Batch) + Send,
) -> Result<(), EngineError> {
    scan(source, &ReadRequest { sample: Some(rows), ..request.clone() }, look).await
}

/// Every row `request` reads, handed to `look` batch by batch: a channel's worth is held.
pub async fn scan(
    source: &dyn Source,
    request: &ReadRequest,
    mut look: impl FnMut(&Batch) + Send,
) -> Result<(), EngineError> {
    let (tx, mut rx) = channel::channel(2);
    let gather = async {
        while let Some(batch) = rx.recv().await? {
            look(&batch);
        }
        Ok::<_, EngineError>(())
    };
    let (read, looked) = tokio::join!(source.read(request, tx), gather);
    read?;
    looked
}

/// Every row the request reads (all of the table, or `request.sample` rows), in batches.
pub async fn collect(source: &dyn Source, request: &ReadRequest) -> Result<Vec<Batch>, EngineError> {
    let (tx, mut rx) = channel::channel(2);
    let gather = async {
        let mut batches = Vec::new();
        while let Some(batch) = rx.recv().await? {
            batches.push(batch);
        }
        Ok::<_, EngineError>(batches)
    };
    let (read, batches) = tokio::join!(source.read(request, tx), gather);
    read?;
    batches
}
