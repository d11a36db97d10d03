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
//! mounts an `emptyDir`). The file is opened once and rewritten in place: a
//! batch costs one positioned write and two truncations, no file creation or
//! removal (directory operations would be the expensive part on the hot path).
//! A process that dies outside the function leaves it empty. Without
//! `journalDir` the journal is off.

use std::collections::BTreeSet;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

const FILE: &str = "in-flight";

/// A message's identity across restarts: topic and broker position.
pub fn key(topic: &str, ledger: u64, entry: u64, batch_index: Option<i32>) -> String {
    format!("{topic} {ledger}:{entry}:{}", batch_index.unwrap_or(-1))
}

#[derive(Debug, Default)]
pub struct Journal {
    file: Option<File>,
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
        let path = dir.join(FILE);
        let left = std::fs::read_to_string(&path).unwrap_or_default();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| format!("cannot open the journal {}: {e}", path.display()))?;
        let mut journal = Journal { file: Some(file), ..Journal::default() };
        let keys: Vec<String> = left.lines().filter(|l| !l.is_empty()).map(str::to_string).collect();
        match keys.len() {
            0 => {}
            1 => journal.convicted.extend(keys),
            _ => journal.suspects.extend(keys),
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
            let text = keys.join("\n") + "\n";
            let _ = file.write_all_at(text.as_bytes(), 0).and_then(|()| file.set_len(text.len() as u64));
        }
    }

    /// The batch was processed: nothing is in flight.
    pub fn end(&self) {
        if let Some(file) = &self.file {
            let _ = file.set_len(0);
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
