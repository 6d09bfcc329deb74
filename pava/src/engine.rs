//! The detection engine: the bundle's `detect` rules run over syslog messages.
//!
//! A rule matches a message when every matcher does (regex or equality per field); its named
//! capture groups become the incident's details and its group key (`by src`). A rule with
//! `when count >= N within W` fires when N matches of one group fall within any window of
//! length W: a sliding window over the messages' own times, so an attack that straddles a
//! minute boundary is caught. A group that fires starts counting again from zero.
//!
//! Speed: one `RegexSet` over every rule's `msg` regex tells in one pass which rules can
//! match; only those run their other matchers (cheap fields first) and their captures.
//! Memory: each rule tracks at most `max_groups` groups; beyond that the group seen least
//! recently is evicted and counted, so a flood of distinct sources cannot exhaust memory.

use std::collections::{BTreeMap, HashMap, VecDeque};

use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::Serialize;
use ward_compiler::ir::{ActionIr, DetectIr, MatcherIr};
use ward_compiler::rule_regex;

use super::syslog::Message;

/// Messages kept per group for the incident report.
const SAMPLES: usize = 10;

/// Groups tracked per rule by default.
pub const DEFAULT_MAX_GROUPS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Msg,
    App,
    Host,
    ProcId,
    MsgId,
    Facility,
    Severity,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "msg" => Field::Msg,
            "app" => Field::App,
            "host" => Field::Host,
            "procid" => Field::ProcId,
            "msgid" => Field::MsgId,
            "facility" => Field::Facility,
            "severity" => Field::Severity,
            _ => return None,
        })
    }

    fn of<'a>(self, m: &Message<'a>) -> Option<&'a str> {
        match self {
            Field::Msg => Some(m.msg),
            Field::App => m.app,
            Field::Host => m.hostname,
            Field::ProcId => m.procid,
            Field::MsgId => m.msgid,
            Field::Facility => Some(m.facility_name()),
            Field::Severity => Some(m.severity_name()),
        }
    }
}

enum Check {
    Regex { regex: Regex, captures: bool },
    Equals(String),
}

struct Rule {
    ir: DetectIr,
    /// Matchers other than the `msg` regex, cheap fields first.
    checks: Vec<(Field, Check)>,
    /// The rule's `msg` regex, when it has one: its index in the set, and the regex itself
    /// when it has captures to read.
    msg: Option<(usize, Option<Regex>)>,
    threshold: usize,
    window_ms: Option<i64>,
}

/// What one group of a rule has seen.
struct Group {
    /// Match times, oldest first.
    times: VecDeque<i64>,
    samples: VecDeque<String>,
    captures: BTreeMap<String, String>,
    /// Its key in the rule's recency index.
    recency: (u64, String),
}

#[derive(Default)]
struct RuleState {
    groups: HashMap<String, Group>,
    /// (tick, key) of each group: the first entry is the one seen least recently.
    recency: BTreeMap<(u64, String), ()>,
    evicted: u64,
    fired: u64,
}

/// An incident: a rule fired for one group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Incident {
    pub rule: String,
    pub title: String,
    pub threat: String,
    pub severity: String,
    /// The group key, such as `src=10.0.0.9` (empty for a rule without `by`).
    pub group: String,
    pub count: usize,
    /// Milliseconds since the epoch of the first and last counted messages.
    pub first_ms: i64,
    pub last_ms: i64,
    pub captures: BTreeMap<String, String>,
    /// The last messages counted (at most ten), as received.
    pub messages: Vec<String>,
    pub actions: Vec<ActionIr>,
    /// Where the rule is declared.
    pub origin: String,
}

/// Whose message the engine is fed, for the rules scoped to classes (`classes = [...]`).
#[derive(Clone, Copy, Debug)]
pub enum Sender<'a> {
    /// Offline (`ward pava scan`, `ward test`): nothing to attribute the lines to, so every
    /// rule applies.
    Unattributed,
    /// At the gateway: the class of the onboarded thing the message is from (by certificate
    /// or address), or `None` for a sender that is no thing: scoped rules skip it.
    Thing(Option<&'a str>),
}

impl Sender<'_> {
    fn watched_by(self, rule: &DetectIr) -> bool {
        match self {
            Sender::Unattributed => true,
            Sender::Thing(class) => {
                rule.classes.is_empty()
                    || class.is_some_and(|c| rule.classes.iter().any(|r| r == c))
            }
        }
    }
}

/// Per-rule figures, for the status API and `ward pava scan`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleStats {
    pub rule: String,
    pub groups: usize,
    pub evicted: u64,
    pub fired: u64,
}

pub struct Engine {
    rules: Vec<Rule>,
    states: Vec<RuleState>,
    /// Every rule's `msg` regex, for one pass over the message.
    msg_set: RegexSet,
    /// For each set pattern, its rule.
    set_rules: Vec<usize>,
    /// Rules without a `msg` regex: checked on every message.
    always: Vec<usize>,
    max_groups: usize,
    tick: u64,
}

/// Field order: the cheapest and most selective first.
fn cost(field: Field) -> u8 {
    match field {
        Field::Facility | Field::Severity => 0,
        Field::App | Field::MsgId | Field::ProcId => 1,
        Field::Host => 2,
        Field::Msg => 3,
    }
}

impl Engine {
    /// Compiles the rules. A rule whose regex the `regex` crate refuses is an error naming it
    /// (the compiler checks regexes, so this means a bundle from elsewhere).
    pub fn new(rules: &[DetectIr], max_groups: usize) -> Result<Engine, String> {
        let mut compiled = Vec::new();
        let mut set_patterns = Vec::new();
        let mut set_rules = Vec::new();
        let mut always = Vec::new();
        for (index, ir) in rules.iter().enumerate() {
            let mut checks = Vec::new();
            let mut msg = None;
            for (name, matcher) in &ir.matchers {
                let field = Field::parse(name)
                    .ok_or_else(|| format!("rule `{}`: unknown field `{name}`", ir.name))?;
                match matcher {
                    MatcherIr::Regex { pattern, flags } => {
                        // A name in several alternatives is numbered for the engine and
                        // read back under its written name (`read_captures`); the flags go
                        // inline. The checker compiled the very same text.
                        let full = rule_regex::engine_pattern(pattern, flags);
                        let regex = rule_regex::compile(&full)
                            .map_err(|e| format!("rule `{}`: {e}", ir.name))?;
                        let captures = regex.capture_names().flatten().next().is_some();
                        if field == Field::Msg {
                            msg = Some((set_patterns.len(), captures.then_some(regex)));
                            set_patterns.push(full);
                            set_rules.push(index);
                        } else {
                            checks.push((field, Check::Regex { regex, captures }));
                        }
                    }
                    MatcherIr::Equals { value } => {
                        checks.push((field, Check::Equals(value.clone())))
                    }
                }
            }
            if msg.is_none() {
                always.push(index);
            }
            checks.sort_by_key(|(field, _)| cost(*field));
            compiled.push(Rule {
                ir: ir.clone(),
                checks,
                msg,
                threshold: usize::try_from(ir.threshold.max(1)).unwrap_or(1),
                window_ms: ir.window_ms,
            });
        }
        // Each pattern is within the limit of one (the checker saw to it); the set holds
        // them all, so its bound is theirs together.
        let msg_set = RegexSetBuilder::new(&set_patterns)
            .size_limit(rule_regex::REGEX_SIZE_LIMIT.saturating_mul(set_patterns.len().max(1)))
            .build()
            .map_err(|e| format!("the rules' message patterns: {e}"))?;
        Ok(Engine {
            states: compiled.iter().map(|_| RuleState::default()).collect(),
            rules: compiled,
            msg_set,
            set_rules,
            always,
            max_groups: max_groups.max(1),
            tick: 0,
        })
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Whether a rule watches only some classes: then the gateway attributes every message.
    pub fn has_scoped_rules(&self) -> bool {
        self.rules.iter().any(|r| !r.ir.classes.is_empty())
    }

    /// Feeds one message; `raw` is the message as received (kept as evidence), `received_ms`
    /// the time to count it at when it carries none. Incidents go to `fired`.
    pub fn feed(
        &mut self,
        message: &Message<'_>,
        raw: &str,
        received_ms: i64,
        sender: Sender<'_>,
        fired: &mut Vec<Incident>,
    ) {
        let time = message.timestamp.unwrap_or(received_ms);
        let mut candidates: Vec<usize> = Vec::new();
        if !self.set_rules.is_empty() {
            for pattern in self.msg_set.matches(message.msg).iter() {
                candidates.push(self.set_rules[pattern]);
            }
        }
        candidates.extend(self.always.iter().copied());
        for index in candidates {
            let rule = &self.rules[index];
            if !sender.watched_by(&rule.ir) {
                continue;
            }
            let mut captures = BTreeMap::new();
            if !matches_rule(rule, message, &mut captures) {
                continue;
            }
            self.tick += 1;
            let tick = self.tick;
            let key = group_key(rule, message, &captures);
            let state = &mut self.states[index];
            if let Some(incident) =
                count(rule, state, key, time, raw, captures, tick, self.max_groups)
            {
                fired.push(incident);
            }
        }
    }

    pub fn stats(&self) -> Vec<RuleStats> {
        self.rules
            .iter()
            .zip(&self.states)
            .map(|(rule, state)| RuleStats {
                rule: rule.ir.name.clone(),
                groups: state.groups.len(),
                evicted: state.evicted,
                fired: state.fired,
            })
            .collect()
    }
}

fn matches_rule<'a>(
    rule: &Rule,
    message: &Message<'a>,
    captures: &mut BTreeMap<String, String>,
) -> bool {
    for (field, check) in &rule.checks {
        let Some(value) = field.of(message) else {
            return false;
        };
        match check {
            Check::Equals(expected) => {
                if value != expected {
                    return false;
                }
            }
            Check::Regex {
                regex,
                captures: false,
            } => {
                if !regex.is_match(value) {
                    return false;
                }
            }
            Check::Regex {
                regex,
                captures: true,
            } => match regex.captures(value) {
                Some(found) => read_captures(regex, &found, captures),
                None => return false,
            },
        }
    }
    if let Some((_, Some(regex))) = &rule.msg {
        match regex.captures(message.msg) {
            Some(found) => read_captures(regex, &found, captures),
            None => return false,
        }
    }
    true
}

fn read_captures(regex: &Regex, found: &regex::Captures<'_>, into: &mut BTreeMap<String, String>) {
    for name in regex.capture_names().flatten() {
        if let Some(value) = found.name(name) {
            // Of the groups that share a written name, the one that took part wins.
            into.entry(ward_compiler::capture_names::written_name(name).to_string())
                .or_insert_with(|| value.as_str().to_string());
        }
    }
}

/// `src=10.0.0.9,user=root`: the values of the rule's `by` names, from captures or fields.
fn group_key(rule: &Rule, message: &Message<'_>, captures: &BTreeMap<String, String>) -> String {
    let mut key = String::new();
    for name in &rule.ir.group_by {
        if !key.is_empty() {
            key.push(',');
        }
        let value = captures
            .get(name)
            .map(String::as_str)
            .or_else(|| Field::parse(name).and_then(|f| f.of(message)))
            .unwrap_or("-");
        key.push_str(name);
        key.push('=');
        key.push_str(value);
    }
    key
}

#[allow(clippy::too_many_arguments)]
fn count(
    rule: &Rule,
    state: &mut RuleState,
    key: String,
    time: i64,
    raw: &str,
    captures: BTreeMap<String, String>,
    tick: u64,
    max_groups: usize,
) -> Option<Incident> {
    if !state.groups.contains_key(&key) {
        while state.groups.len() >= max_groups {
            let Some(((_, oldest), ())) = state.recency.pop_first() else {
                break;
            };
            state.groups.remove(&oldest);
            state.evicted += 1;
        }
    }
    let group = state.groups.entry(key.clone()).or_insert_with(|| Group {
        times: VecDeque::new(),
        samples: VecDeque::new(),
        captures: BTreeMap::new(),
        recency: (0, String::new()),
    });
    state.recency.remove(&group.recency);
    group.recency = (tick, key.clone());
    state.recency.insert(group.recency.clone(), ());
    // Times in order, even when messages arrive out of order (UDP, several files).
    let at = group.times.partition_point(|&t| t <= time);
    group.times.insert(at, time);
    if let Some(window) = rule.window_ms {
        let newest = group.times.back().copied().unwrap_or(time);
        while group.times.front().is_some_and(|&t| t < newest - window) {
            group.times.pop_front();
        }
    }
    group.samples.push_back(raw.to_string());
    if group.samples.len() > SAMPLES {
        group.samples.pop_front();
    }
    group.captures.extend(captures);
    if group.times.len() < rule.threshold {
        return None;
    }
    state.fired += 1;
    let incident = Incident {
        rule: rule.ir.name.clone(),
        title: rule.ir.title.clone(),
        threat: rule.ir.threat.clone(),
        severity: rule.ir.severity.clone(),
        group: key,
        count: group.times.len(),
        first_ms: group.times.front().copied().unwrap_or(time),
        last_ms: group.times.back().copied().unwrap_or(time),
        captures: std::mem::take(&mut group.captures),
        messages: group.samples.drain(..).collect(),
        actions: rule.ir.actions.clone(),
        origin: rule.ir.origin.describe(),
    };
    group.times.clear();
    Some(incident)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syslog::{parse, rfc3339_ms};
    use ward_compiler::ir::Origin;

    fn rule(threshold: i64, window_ms: Option<i64>) -> DetectIr {
        let mut matchers = BTreeMap::new();
        matchers.insert(
            "app".to_string(),
            MatcherIr::Regex {
                pattern: "sshd|dropbear".into(),
                flags: String::new(),
            },
        );
        matchers.insert(
            "msg".to_string(),
            MatcherIr::Regex {
                pattern: r"Failed password for .* from (?<src>\S+)".into(),
                flags: String::new(),
            },
        );
        DetectIr {
            name: "ssh_bruteforce".into(),
            title: "SSH brute force".into(),
            threat: "T7".into(),
            severity: "high".into(),
            matchers,
            captures: vec!["src".into()],
            threshold,
            window_ms,
            group_by: vec!["src".into()],
            actions: Vec::new(),
            classes: Vec::new(),
            evidence: None,
            origin: Origin {
                file: "t.ward".into(),
                line: 1,
                declaration: "ssh_bruteforce".into(),
            },
        }
    }

    fn line(time: &str, src: &str) -> String {
        format!("<38>1 {time} cam sshd 1 - - Failed password for root from {src} port 22 ssh2")
    }

    fn run(engine: &mut Engine, lines: &[String]) -> Vec<Incident> {
        let mut fired = Vec::new();
        for raw in lines {
            let message = parse(raw.as_bytes(), 2026).expect("parses");
            engine.feed(&message, raw, 0, Sender::Unattributed, &mut fired);
        }
        fired
    }

    /// Every flag the checker reads is the engine's too: `U` (lazy) changes what a capture
    /// holds, and so the group a message counts in. The engine once dropped it.
    #[test]
    fn the_lazy_flag_shapes_captures_as_the_checker_read_it() {
        let mut lazy = rule(1, None);
        lazy.matchers.insert(
            "msg".to_string(),
            MatcherIr::Regex {
                pattern: r"Failed password for .* from (?<src>.+) port".into(),
                flags: "U".into(),
            },
        );
        let mut engine = Engine::new(&[lazy], 100).expect("compiles");
        let raw = "<38>1 2026-11-25T10:00:00Z cam sshd 1 - - Failed password for root from 10.0.0.9 port 22 port 23".to_string();
        let fired = run(&mut engine, &[raw]);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].captures["src"], "10.0.0.9");
    }

    /// Patterns each at the edge of the limit of one still build together.
    #[test]
    fn rules_each_within_the_limit_build_together() {
        let big = r"(?<user>\w{1,60})";
        assert!(rule_regex::engine_regex(big, "i").is_ok());
        assert!(rule_regex::engine_regex(r"\w{1,100}", "i").is_err());
        let rules: Vec<DetectIr> = (0..8)
            .map(|n| {
                let mut r = rule(1, None);
                r.name = format!("r{n}");
                r.matchers.insert(
                    "msg".to_string(),
                    MatcherIr::Regex {
                        pattern: format!("{big} {n}"),
                        flags: "i".into(),
                    },
                );
                r
            })
            .collect();
        Engine::new(&rules, 100).expect("every pattern the checker accepts builds in the set");
    }

    #[test]
    fn a_scoped_rule_skips_other_classes_and_unknown_senders() {
        let mut scoped = rule(1, None);
        scoped.classes = vec!["cameras".into()];
        let mut engine = Engine::new(&[scoped], 100).expect("compiles");
        assert!(engine.has_scoped_rules());
        let raw = line("2026-11-25T10:00:00Z", "10.0.0.9");
        let message = parse(raw.as_bytes(), 2026).expect("parses");
        let mut fired = Vec::new();
        for sender in [Sender::Thing(Some("lights")), Sender::Thing(None)] {
            engine.feed(&message, &raw, 0, sender, &mut fired);
        }
        assert!(fired.is_empty(), "{fired:?}");
        engine.feed(
            &message,
            &raw,
            0,
            Sender::Thing(Some("cameras")),
            &mut fired,
        );
        assert_eq!(fired.len(), 1);
        // Offline, nothing is attributed: every rule applies.
        engine.feed(&message, &raw, 0, Sender::Unattributed, &mut fired);
        assert_eq!(fired.len(), 2);
    }

    #[test]
    fn a_burst_straddling_a_window_boundary_is_caught() {
        // Five failures between 10:09:30 and 10:10:20: a fixed 10-minute bucket would split
        // them 3 + 2 at 10:10; the sliding window sees five within 50 s.
        let mut engine = Engine::new(&[rule(5, Some(600_000))], 100).expect("compiles");
        let times = ["10:09:30", "10:09:45", "10:09:59", "10:10:05", "10:10:20"];
        let lines: Vec<String> = times
            .iter()
            .map(|t| line(&format!("2026-11-25T{t}Z"), "10.0.0.9"))
            .collect();
        let fired = run(&mut engine, &lines);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].group, "src=10.0.0.9");
        assert_eq!(fired[0].count, 5);
        assert_eq!(fired[0].captures["src"], "10.0.0.9");
        assert_eq!(
            fired[0].first_ms,
            rfc3339_ms("2026-11-25T10:09:30Z").expect("time")
        );
        assert_eq!(fired[0].messages.len(), 5);
    }

    #[test]
    fn slow_attempts_and_other_sources_do_not_add_up() {
        let mut engine = Engine::new(&[rule(3, Some(60_000))], 100).expect("compiles");
        let lines = vec![
            line("2026-11-25T10:00:00Z", "10.0.0.1"),
            line("2026-11-25T10:00:30Z", "10.0.0.2"),
            line("2026-11-25T10:01:10Z", "10.0.0.1"),
            line("2026-11-25T10:02:20Z", "10.0.0.1"),
            line("2026-11-25T10:02:21Z", "10.0.0.2"),
        ];
        assert!(run(&mut engine, &lines).is_empty());
        // Out of order, within the window: counted.
        let lines = vec![
            line("2026-11-25T11:00:50Z", "10.0.0.3"),
            line("2026-11-25T11:00:10Z", "10.0.0.3"),
            line("2026-11-25T11:00:30Z", "10.0.0.3"),
        ];
        assert_eq!(run(&mut engine, &lines).len(), 1);
    }

    #[test]
    fn groups_are_bounded_and_evictions_counted() {
        let mut engine = Engine::new(&[rule(2, Some(60_000))], 3).expect("compiles");
        let lines: Vec<String> = (0..10)
            .map(|n| line("2026-11-25T10:00:00Z", &format!("10.0.0.{n}")))
            .collect();
        run(&mut engine, &lines);
        let stats = &engine.stats()[0];
        assert_eq!((stats.groups, stats.evicted), (3, 7));
    }

    #[test]
    fn every_matcher_must_match() {
        let mut engine = Engine::new(&[rule(1, None)], 10).expect("compiles");
        let other_app = "<38>1 2026-11-25T10:00:00Z cam login 1 - - Failed password for root from 10.0.0.1 port 22".to_string();
        assert!(run(&mut engine, &[other_app]).is_empty());
        assert_eq!(
            run(&mut engine, &[line("2026-11-25T10:00:00Z", "10.0.0.1")]).len(),
            1
        );
    }
}
