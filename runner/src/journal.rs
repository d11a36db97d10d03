//! The crash journal: a message that kills the runner is recognised after the
//! restart and dead-lettered, instead of killing every runner that receives it.
//!
//! Before the function sees a batch, the ids of its messages are written to
//! `<journalDir>/in-flight`; when the function returns, the file is removed. A
//! file still there at start names the batch that was being processed when the
//! process died (killed by the out-of-memory killer, a stack overflow, or the
//! runner's own watchdog after `maxProcessingMs`):
//! - a batch of one message: that message is *convicted* — when it is delivered
//!   again it goes to the dead-letter topic without reaching the function;
//! - a larger batch: its messages are *suspects* — each is processed alone (and
//!   journaled alone), so the next death convicts exactly the guilty one and a
//!   good message is never dead-lettered without having been processed.
//!
//! The journal lives on a volume that survives a container restart (`fmc build`
//! mounts an `emptyDir`); it is one small write per batch. A process that dies
//! outside the function leaves no file. Without `journalDir` the journal is off.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const FILE: &str = "in-flight";

/// A message's identity across restarts: topic and broker position.
pub fn key(topic: &str, ledger: u64, entry: u64, batch_index: Option<i32>) -> String {
    format!("{topic} {ledger}:{entry}:{}", batch_index.unwrap_or(-1))
}

#[derive(Debug, Default)]
pub struct Journal {
    file: Option<PathBuf>,
    convicted: BTreeSet<String>,
    suspects: BTreeSet<String>,
}

/// What to do with one received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// With the rest of its batch.
    Batch,
    /// Alone: it was in the batch being processed when the runner died.
    Alone,
    /// Dead-lettered unprocessed: it was alone when the runner died.
    DeadLetter,
}

impl Journal {
    /// Opens the journal in `dir`, reading what a previous process left.
    pub fn open(dir: Option<&Path>) -> Result<Journal, String> {
        let Some(dir) = dir else { return Ok(Journal::default()) };
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create journal folder {}: {e}", dir.display()))?;
        let file = dir.join(FILE);
        let mut journal = Journal { file: Some(file.clone()), ..Journal::default() };
        if let Ok(text) = std::fs::read_to_string(&file) {
            let keys: Vec<String> = text.lines().filter(|l| !l.is_empty()).map(str::to_string).collect();
            match keys.len() {
                0 => {}
                1 => journal.convicted.extend(keys),
                _ => journal.suspects.extend(keys),
            }
            let _ = std::fs::remove_file(&file);
        }
        Ok(journal)
    }

    pub fn treatment(&self, key: &str) -> Treatment {
        if self.convicted.contains(key) {
            Treatment::DeadLetter
        } else if self.suspects.contains(key) {
            Treatment::Alone
        } else {
            Treatment::Batch
        }
    }

    /// A convicted message was dead-lettered, or a suspect processed alone and
    /// survived: it is no longer remembered.
    pub fn settled(&mut self, key: &str) {
        self.convicted.remove(key);
        self.suspects.remove(key);
    }

    /// Records the batch about to be processed.
    pub fn begin(&self, keys: &[String]) {
        if let Some(file) = &self.file {
            // Best effort: a journal that cannot be written only loses the
            // recognition of a crash, never a message.
            let _ = std::fs::write(file, keys.join("\n") + "\n");
        }
    }

    /// The batch was processed: nothing is in flight.
    pub fn end(&self) {
        if let Some(file) = &self.file {
            let _ = std::fs::remove_file(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_death_convicts_a_lone_message_and_isolates_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (key("t", 1, 2, None), key("t", 1, 3, Some(0)));
        // A batch of two was in flight when the process died.
        Journal::open(Some(dir.path())).unwrap().begin(&[a.clone(), b.clone()]);
        let mut j = Journal::open(Some(dir.path())).unwrap();
        assert_eq!((j.treatment(&a), j.treatment(&b)), (Treatment::Alone, Treatment::Alone));
        assert_eq!(j.treatment(&key("t", 9, 9, None)), Treatment::Batch);
        // `b` alone, and the process died again: `b` is convicted, `a` is not.
        j.settled(&a);
        j.begin(std::slice::from_ref(&b));
        let j = Journal::open(Some(dir.path())).unwrap();
        assert_eq!((j.treatment(&a), j.treatment(&b)), (Treatment::Batch, Treatment::DeadLetter));
        // A batch that finished leaves nothing behind.
        j.begin(std::slice::from_ref(&a));
        j.end();
        let j = Journal::open(Some(dir.path())).unwrap();
        assert_eq!(j.treatment(&b), Treatment::Batch);
        assert_eq!(Journal::open(None).unwrap().treatment(&a), Treatment::Batch);
    }
}
