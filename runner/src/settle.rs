//! When an input may be acknowledged, and when it has failed often enough to
//! go to the dead-letter topic.
//!
//! Why this exists: a Pulsar producer may batch messages into one broker
//! entry. The `pulsar` crate hands each message of a batch over separately but
//! acknowledges with the entry's id and no batch-index ack set, so the broker
//! takes any one acknowledgement as "the whole entry is done". A runner that
//! acknowledged message 0 while message 1 was still failing would lose the
//! latter. [`BatchLedger`] holds a batch's outcomes until every message of the
//! entry has one: all succeeded → one acknowledgement; any failed → one
//! negative acknowledgement, and the broker redelivers the whole entry (the
//! succeeded messages run again: duplicates, never loss).
//!
//! Because a redelivered batch repeats its good messages, the broker's
//! per-entry redelivery count cannot decide which message is poison. The
//! runner therefore counts failures per message ([`Attempts`]) and moves a
//! message to the dead-letter topic itself after `1 + maxRetries` failures,
//! which settles it as done for its batch. The crate's broker-counted
//! dead-letter policy stays as a backstop across restarts.

use pulsar::message::proto::MessageIdData;
use std::collections::BTreeMap;

/// One broker entry: a lone message or a whole batch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct EntryKey {
    topic: String,
    ledger: u64,
    entry: u64,
    partition: i32,
}

impl EntryKey {
    fn of(topic: &str, id: &MessageIdData) -> EntryKey {
        EntryKey {
            topic: topic.to_string(),
            ledger: id.ledger_id,
            entry: id.entry_id,
            partition: id.partition.unwrap_or(-1),
        }
    }
}

#[derive(Debug)]
struct Batch {
    size: usize,
    received: usize,
    settled: usize,
    failed: bool,
}

/// What to tell the broker now.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Ack,
    Nack,
    /// Other messages of the same batch have no outcome yet.
    Wait,
}

/// Outcomes of batched messages, per entry.
#[derive(Debug, Default)]
pub struct BatchLedger {
    open: BTreeMap<EntryKey, Batch>,
}

impl BatchLedger {
    /// Notes a received message; `batch_size` is the entry's
    /// `num_messages_in_batch` (none or 1 for an unbatched message).
    pub fn received(&mut self, topic: &str, id: &MessageIdData, batch_size: Option<i32>) {
        let size = batch_size.unwrap_or(1).max(1) as usize;
        if size == 1 && id.batch_index.is_none() {
            return;
        }
        let batch =
            self.open.entry(EntryKey::of(topic, id)).or_insert(Batch { size, received: 0, settled: 0, failed: false });
        batch.received += 1;
    }

    /// Records one message's outcome and says what the entry needs.
    pub fn settle(&mut self, topic: &str, id: &MessageIdData, ok: bool) -> Verdict {
        let key = EntryKey::of(topic, id);
        let Some(batch) = self.open.get_mut(&key) else {
            return if ok { Verdict::Ack } else { Verdict::Nack };
        };
        batch.settled += 1;
        batch.failed |= !ok;
        // A redelivery of the same entry may overlap the first delivery: wait
        // for every message received, and for at least one whole batch.
        if batch.settled < batch.received || batch.received < batch.size {
            return Verdict::Wait;
        }
        let failed = batch.failed;
        self.open.remove(&key);
        if failed { Verdict::Nack } else { Verdict::Ack }
    }

    /// Forgets everything (a new consumer: the broker redelivers what was open).
    pub fn clear(&mut self) {
        self.open.clear();
    }

    pub fn open_entries(&self) -> usize {
        self.open.len()
    }
}

/// One message: its entry plus its position in a batch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct MessageKey {
    entry: EntryKey,
    batch_index: i32,
}

/// Failures per message, counted by this process.
#[derive(Debug, Default)]
pub struct Attempts {
    failures: BTreeMap<MessageKey, u32>,
}

impl Attempts {
    /// Counts one more failure; returns the total for this message.
    pub fn fail(&mut self, topic: &str, id: &MessageIdData) -> u32 {
        let key = MessageKey { entry: EntryKey::of(topic, id), batch_index: id.batch_index.unwrap_or(-1) };
        let n = self.failures.entry(key).or_insert(0);
        *n += 1;
        *n
    }

    /// The message is done (processed or dead-lettered): forget its count.
    pub fn forget(&mut self, topic: &str, id: &MessageIdData) {
        if !self.failures.is_empty() {
            let key = MessageKey { entry: EntryKey::of(topic, id), batch_index: id.batch_index.unwrap_or(-1) };
            self.failures.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(entry: u64, batch_index: Option<i32>) -> MessageIdData {
        MessageIdData { ledger_id: 7, entry_id: entry, batch_index, ..Default::default() }
    }

    #[test]
    fn an_unbatched_message_settles_at_once() {
        let mut ledger = BatchLedger::default();
        ledger.received("t", &id(1, None), None);
        assert_eq!(ledger.settle("t", &id(1, None), true), Verdict::Ack);
        assert_eq!(ledger.settle("t", &id(2, None), false), Verdict::Nack);
        assert_eq!(ledger.open_entries(), 0);
    }

    #[test]
    fn a_batch_is_acknowledged_once_every_message_succeeded_in_any_order() {
        let mut ledger = BatchLedger::default();
        for i in 0..3 {
            ledger.received("t", &id(1, Some(i)), Some(3));
        }
        assert_eq!(ledger.settle("t", &id(1, Some(2)), true), Verdict::Wait);
        assert_eq!(ledger.settle("t", &id(1, Some(0)), true), Verdict::Wait);
        assert_eq!(ledger.settle("t", &id(1, Some(1)), true), Verdict::Ack);
        assert_eq!(ledger.open_entries(), 0);
    }

    #[test]
    fn one_failure_in_a_batch_holds_back_the_ack_and_nacks_the_entry() {
        let mut ledger = BatchLedger::default();
        for i in 0..2 {
            ledger.received("t", &id(1, Some(i)), Some(2));
        }
        // Message 0 succeeds first: acknowledging now would drop message 1.
        assert_eq!(ledger.settle("t", &id(1, Some(0)), true), Verdict::Wait);
        assert_eq!(ledger.settle("t", &id(1, Some(1)), false), Verdict::Nack);
    }

    #[test]
    fn a_batch_waits_for_messages_still_to_arrive() {
        let mut ledger = BatchLedger::default();
        ledger.received("t", &id(1, Some(0)), Some(2));
        assert_eq!(ledger.settle("t", &id(1, Some(0)), true), Verdict::Wait);
        ledger.received("t", &id(1, Some(1)), Some(2));
        assert_eq!(ledger.settle("t", &id(1, Some(1)), true), Verdict::Ack);
    }

    #[test]
    fn failures_are_counted_per_batch_position() {
        let mut attempts = Attempts::default();
        assert_eq!(attempts.fail("t", &id(1, Some(1))), 1);
        assert_eq!(attempts.fail("t", &id(1, Some(1))), 2);
        assert_eq!(attempts.fail("t", &id(1, Some(0))), 1);
        attempts.forget("t", &id(1, Some(1)));
        assert_eq!(attempts.fail("t", &id(1, Some(1))), 1);
    }
}
