//! The latest answers, numbered, for the demo page's grid (which asks for those after the last it
//! saw) and for `stats()`.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

/// One simulated request's answer, as the page paints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    pub seq: u64,
    /// The answering pod's colour; `None` when no pod answered (404, 503).
    pub colour: Option<&'static str>,
    pub code: u16,
    /// Short name of the Service the request went to, if it got that far.
    pub service: Option<String>,
}

/// Counts of answers: per colour of the answering pod, and per status code.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub total: u64,
    pub by_colour: BTreeMap<String, ColourCounts>,
    pub by_code: BTreeMap<u16, u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ColourCounts {
    pub ok: u64,
    /// Answered by a pod of this colour, but with a 5xx.
    pub errors: u64,
}

impl Stats {
    pub fn add(&mut self, colour: Option<&str>, code: u16) {
        self.total += 1;
        *self.by_code.entry(code).or_default() += 1;
        if let Some(colour) = colour {
            let counts = self.by_colour.entry(colour.to_owned()).or_default();
            if code >= 500 {
                counts.errors += 1;
            } else {
                counts.ok += 1;
            }
        }
    }

    /// Requests a pod of this colour answered, failed or not.
    pub fn answered_by(&self, colour: &str) -> u64 {
        self.by_colour
            .get(colour)
            .map_or(0, |counts| counts.ok + counts.errors)
    }

    /// Share of all requests a pod of this colour answered (0 when there were none).
    pub fn share(&self, colour: &str) -> f64 {
        ratio(self.answered_by(colour), self.total)
    }

    pub fn code_count(&self, code: u16) -> u64 {
        self.by_code.get(&code).copied().unwrap_or(0)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A bounded, numbered log of answers; sequence numbers start at 1 and never repeat.
#[derive(Debug)]
pub struct Recent {
    answers: VecDeque<Answer>,
    capacity: usize,
    last_seq: u64,
}

impl Recent {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Recent {
            answers: VecDeque::with_capacity(capacity),
            capacity,
            last_seq: 0,
        }
    }

    /// Logs an answer, dropping the oldest when full; returns it numbered.
    pub fn push(
        &mut self,
        colour: Option<&'static str>,
        code: u16,
        service: Option<String>,
    ) -> &Answer {
        self.last_seq += 1;
        if self.answers.len() == self.capacity {
            self.answers.pop_front();
        }
        self.answers.push_back(Answer {
            seq: self.last_seq,
            colour,
            code,
            service,
        });
        &self.answers[self.answers.len() - 1]
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Up to `limit` of the newest answers numbered after `seq` (older ones are gone or skipped:
    /// a page that fell behind only needs the latest).
    pub fn since(&self, seq: u64, limit: usize) -> Vec<Answer> {
        let newer = self.answers.iter().filter(|a| a.seq > seq).count();
        self.answers
            .iter()
            .skip(self.answers.len() - newer.min(limit))
            .cloned()
            .collect()
    }

    /// Counts over the answers still kept.
    pub fn stats(&self) -> Stats {
        let mut stats = Stats::default();
        for answer in &self.answers {
            stats.add(answer.colour, answer.code);
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(answers: &[Answer]) -> Vec<u64> {
        answers.iter().map(|a| a.seq).collect()
    }

    #[test]
    fn keeps_the_newest() {
        let mut recent = Recent::new(3);
        for _ in 0..5 {
            recent.push(Some("blue"), 200, None);
        }
        assert_eq!(recent.last_seq(), 5);
        assert_eq!(seqs(&recent.since(0, 10)), [3, 4, 5]);
        assert_eq!(seqs(&recent.since(3, 10)), [4, 5]);
        assert_eq!(seqs(&recent.since(0, 2)), [4, 5]);
        assert!(recent.since(5, 10).is_empty());
        assert!(recent.since(99, 10).is_empty());
    }

    #[test]
    fn counts() {
        let mut recent = Recent::new(10);
        recent.push(Some("blue"), 200, Some("stable".into()));
        recent.push(Some("yellow"), 200, Some("canary".into()));
        recent.push(Some("yellow"), 500, Some("canary".into()));
        recent.push(None, 503, Some("canary".into()));
        let stats = recent.stats();
        assert_eq!(stats.total, 4);
        assert_eq!(stats.by_colour["yellow"], ColourCounts { ok: 1, errors: 1 });
        assert_eq!(stats.answered_by("yellow"), 2);
        assert_eq!(stats.share("blue"), 0.25);
        assert_eq!(stats.code_count(503), 1);
        assert_eq!(stats.code_count(404), 0);
        assert_eq!(Stats::default().share("blue"), 0.0);
    }
}
