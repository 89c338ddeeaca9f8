//! The bounded channel between pipeline stages.
//!
//! Its capacity is the backpressure: a reader waits while the writer is behind. The end of a
//! table is an explicit message, so a writer can tell "the reader finished" from "the reader
//! died" and never commits a table that was cut short.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::batch::Batch;
use super::progress::TableProgress;

/// The stage at the other end of the channel went away: an error there is the real cause.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the other end of the pipeline stopped")]
pub struct Cancelled;

enum Message {
    Batch(Batch),
    End,
}

pub struct BatchSender {
    tx: mpsc::Sender<Message>,
}

pub struct BatchReceiver {
    rx: mpsc::Receiver<Message>,
    /// Counts the rows handed out, so that writers need not count them themselves.
    progress: Option<Arc<dyn TableProgress>>,
}

pub fn channel(capacity: usize) -> (BatchSender, BatchReceiver) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (BatchSender { tx }, BatchReceiver { rx, progress: None })
}

impl BatchSender {
    /// Waits while the channel is full. Empty batches are not sent.
    pub async fn send(&self, batch: Batch) -> Result<(), Cancelled> {
        if batch.is_empty() {
            return Ok(());
        }
        self.tx.send(Message::Batch(batch)).await.map_err(|_| Cancelled)
    }

    /// Mark the table complete. Dropping a sender without this tells the receiver to abort.
    pub async fn finish(self) -> Result<(), Cancelled> {
        self.tx.send(Message::End).await.map_err(|_| Cancelled)
    }
}

impl BatchReceiver {
    /// Report the rows of every batch received to `progress` (the writer's end of a table).
    pub fn counted(self, progress: Arc<dyn TableProgress>) -> Self {
        BatchReceiver { progress: Some(progress), ..self }
    }

    /// The next batch; `Ok(None)` once the sender finished; `Err` if it stopped without finishing.
    pub async fn recv(&mut self) -> Result<Option<Batch>, Cancelled> {
        match self.rx.recv().await {
            Some(Message::Batch(b)) => {
                if let Some(p) = &self.progress {
                    p.add(b.rows() as u64);
                }
                Ok(Some(b))
            }
            Some(Message::End) => Ok(None),
            None => Err(Cancelled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_row() -> Batch {
        let mut b = Batch::new(1, 1, 1);
        b.push(b"x");
        b
    }

    #[tokio::test]
    async fn finished_stream_ends_cleanly() {
        let (tx, mut rx) = channel(2);
        tx.send(one_row()).await.unwrap();
        tx.send(Batch::new(1, 0, 0)).await.unwrap();
        tx.finish().await.unwrap();
        assert_eq!(rx.recv().await.unwrap().unwrap().rows(), 1);
        assert!(rx.recv().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn dropped_sender_is_an_abort_not_an_end() {
        let (tx, mut rx) = channel(2);
        tx.send(one_row()).await.unwrap();
        drop(tx);
        assert!(rx.recv().await.unwrap().is_some());
        assert!(rx.recv().await.is_err());
    }

    #[tokio::test]
    async fn dropped_receiver_cancels_the_sender() {
        let (tx, rx) = channel(1);
        drop(rx);
        assert!(tx.send(one_row()).await.is_err());
    }
}
