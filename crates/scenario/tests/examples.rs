//! The project's example content: the Paris talks scenario (TOML and spreadsheet forms) and
//! the demo bots. Every file in config/scenarios and config/bots must be listed here, parse,
//! fit the example cell, and, played together, give the demo its believable run: answers on
//! the right channels, one assessment approved and one rejected, the hotline incident
//! acknowledged in time, keyword exchanges that end.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use fusioncell_scenario::persona::InjectTrigger;
use fusioncell_scenario::{Bot, BotAction, BotEvent, Persona, Scenario, import_csv};
use fusioncell_wire::{ChannelId, IdentityId};

const SCENARIO: &str = include_str!("../../../config/scenarios/paris-talks.toml");
const SCENARIO_CSV: &str = include_str!("../../../config/scenarios/paris-talks.msel.csv");
const BOTS: [(&str, &str); 3] = [
    (
        "israel.toml",
        include_str!("../../../config/bots/israel.toml"),
    ),
    (
        "syria.toml",
        include_str!("../../../config/bots/syria.toml"),
    ),
    ("us.toml", include_str!("../../../config/bots/us.toml")),
];

/// The example cell's channels (config/cell.example.toml): id, policy, members. The mediator
/// `us`, `control` and the evaluator read every channel; `france` reads diplomacy.
const CHANNELS: [(&str, &str, &[&str]); 6] = [
    ("security", "moderated", &["israel", "syria", "us"]),
    ("deescalation", "hotline", &["israel", "syria", "us"]),
    ("diplomacy", "open", &["israel", "syria", "us"]),
    ("commerce", "open", &["israel", "syria", "us"]),
    ("us-israel", "open", &["us", "israel"]),
    ("us-syria", "open", &["us", "syria"]),
];
const PARTIES: [&str; 2] = ["israel", "syria"];
const MEDIATOR: &str = "us";

fn channel_ids() -> Vec<ChannelId> {
    CHANNELS
        .iter()
        .map(|(c, _, _)| ChannelId::new(*c).unwrap())
        .collect()
}

fn channel(c: &ChannelId) -> (&'static str, &'static [&'static str]) {
    let (_, policy, members) = CHANNELS.iter().find(|(id, _, _)| c == *id).unwrap();
    (policy, members)
}

fn scenario() -> Scenario {
    Scenario::from_toml(SCENARIO).unwrap()
}

#[test]
fn every_example_file_is_tested() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");
    let names = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{root}/{dir}"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    };
    let bots: BTreeSet<String> = BOTS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(names("bots"), bots);
    let scenarios: BTreeSet<String> = ["paris-talks.toml", "paris-talks.msel.csv"]
        .map(String::from)
        .into();
    assert_eq!(names("scenarios"), scenarios);
}

#[test]
fn the_scenario_fits_the_cell_and_the_brief() {
    let s = scenario();
    s.check_channels(&channel_ids()).unwrap();
    assert!(
        s.title().contains("fictional"),
        "labelled fictional: {}",
        s.title()
    );
    assert!(
        s.description()
            .unwrap()
            .starts_with("Fictional tabletop exercise for training")
    );
    assert_eq!(s.moves().len(), 3);
    assert!(s.injects().len() >= 15);
    assert_eq!(
        s.span_s(),
        2 * 3600,
        "two scenario hours: 72 s of play at speed 100"
    );
    for c in ["security", "deescalation", "diplomacy", "commerce"] {
        assert!(
            s.injects().iter().any(|i| i.channel == *c),
            "no inject on {c}"
        );
    }
    for i in s.injects() {
        assert!(!i.expected.is_empty(), "{} has no expected actions", i.id);
        assert!(i.objective.is_some(), "{} has no objective", i.id);
        assert!(i.from.is_some() && i.to.is_some(), "{} lacks from/to", i.id);
    }
    assert!(s.injects().iter().filter(|i| i.contingency).count() >= 1);
    assert!(s.injects().iter().filter(|i| i.notes.is_some()).count() >= 3);
    // Each move has injects, and moves follow each other in time.
    let mut last_end = 0;
    for m in s.moves() {
        let times: Vec<u64> = s
            .injects()
            .iter()
            .filter(|i| i.move_id == m.id)
            .map(|i| i.at_s)
            .collect();
        assert!(!times.is_empty(), "move {} is empty", m.id);
        assert!(*times.iter().min().unwrap() >= last_end);
        last_end = *times.iter().max().unwrap();
    }
    // The moderated share and the hotline incident.
    let share = s.inject("M2-01").unwrap();
    assert_eq!(share.channel.as_str(), "security");
    let incident = s.inject("M2-03").unwrap();
    assert_eq!(incident.channel.as_str(), "deescalation");
    assert!(incident.text.contains("two minutes"));
}

#[test]
fn the_spreadsheet_form_is_the_same_scenario() {
    assert_eq!(import_csv(SCENARIO_CSV).unwrap(), scenario());
}

#[test]
fn every_persona_fits_the_scenario_and_the_cell() {
    let s = scenario();
    for (name, text) in BOTS {
        let p = Persona::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(format!("{}.toml", p.identity()), name);
        p.check(&s, &channel_ids())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let me = p.identity().as_str();
        // It answers only where it may write.
        for r in p.on_inject() {
            let InjectTrigger::Id(id) = &r.trigger else {
                continue;
            };
            let inject = s.inject(id.as_str()).unwrap();
            let answer = r.channel.as_ref().unwrap_or(&inject.channel);
            assert!(
                channel(answer).1.contains(&me),
                "{name}: {me} cannot post on {answer}"
            );
        }
        for r in p.on_keyword() {
            if let Some(c) = &r.channel {
                assert!(
                    channel(c).1.contains(&me),
                    "{name}: {me} cannot post on {c}"
                );
            }
        }
        assert_eq!(
            p.moderation().is_some(),
            me == MEDIATOR,
            "{name}: only the mediator moderates"
        );
        assert_eq!(p.hotline().is_some_and(|h| h.ack), PARTIES.contains(&me));
        // No two wordings of the persona are near-duplicates: the bot would drop the later
        // answer rather than repeat itself, and that inject would go unanswered.
        let wordings: Vec<&String> = p
            .on_inject()
            .iter()
            .flat_map(|r| std::iter::once(&r.text).chain(&r.variants))
            .chain(
                p.on_keyword()
                    .iter()
                    .flat_map(|r| std::iter::once(&r.text).chain(&r.variants)),
            )
            .collect();
        for (i, a) in wordings.iter().enumerate() {
            for b in &wordings[i + 1..] {
                assert!(
                    !fusioncell_scenario::variation::near_duplicate(a, b),
                    "{name}: {a:?} ~ {b:?}"
                );
            }
        }
    }
}

// ---- The demo, played out -------------------------------------------------------------------

/// Something that happens at a scenario time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Inject(usize),
    Act(String, Act),
}

/// A bot's action, ordered so it can sit in the queue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Act {
    Post(String, String),
    Ack(u64),
    Approve(u64),
    Reject(u64),
}

#[derive(Debug, Clone)]
struct Record {
    at_s: u64,
    actor: String,
    channel: String,
    body: String,
}

#[derive(Default)]
struct Demo {
    /// Every post by seq.
    posts: BTreeMap<u64, Record>,
    /// Held posts awaiting the mediator.
    held: BTreeSet<u64>,
    approved: Vec<u64>,
    rejected: Vec<u64>,
    /// Hotline post seq -> (acknowledged by, delay in s).
    acks: BTreeMap<u64, (String, u64)>,
    /// Scenario time of the last bot act.
    last_s: u64,
}

#[test]
fn the_demo_plays_out_believably() {
    let s = scenario();
    let mut bots: BTreeMap<String, Bot> = BOTS
        .iter()
        .map(|(_, t)| {
            let p = Persona::from_toml(t).unwrap();
            (p.identity().to_string(), Bot::new(p))
        })
        .collect();
    let mut queue: BinaryHeap<Reverse<(u64, u64, Item)>> = BinaryHeap::new();
    let mut order = 0u64;
    for (i, inject) in s.injects().iter().enumerate() {
        if !inject.contingency {
            queue.push(Reverse((inject.at_s, order, Item::Inject(i))));
            order += 1;
        }
    }
    let mut demo = Demo::default();
    let mut seq = 0u64;
    let mut steps = 0;
    let who = |s: &str| IdentityId::new(s).unwrap();

    while let Some(Reverse((now, _, item))) = queue.pop() {
        steps += 1;
        assert!(steps < 2_000, "the bots do not stop talking");
        // Events to hand to bots: (recipient, event).
        let mut deliveries: Vec<(String, BotEvent)> = Vec::new();
        let deliver_post = |seq: u64, r: &Record, out: &mut Vec<(String, BotEvent)>| {
            let ch = ChannelId::new(r.channel.clone()).unwrap();
            let (policy, members) = channel(&ch);
            for reader in members.iter().chain([&MEDIATOR]).collect::<BTreeSet<_>>() {
                out.push((
                    reader.to_string(),
                    BotEvent::Post {
                        seq,
                        actor: who(&r.actor),
                        channel: ch.clone(),
                        body: r.body.clone(),
                    },
                ));
                if policy == "hotline" && PARTIES.contains(reader) && *reader != r.actor {
                    let event = BotEvent::Hotline {
                        seq,
                        actor: who(&r.actor),
                        channel: ch.clone(),
                    };
                    out.push((reader.to_string(), event));
                }
            }
        };
        match item {
            Item::Inject(i) => {
                let inject = &s.injects()[i];
                seq += 1;
                let (_, members) = channel(&inject.channel);
                for reader in members.iter().chain([&MEDIATOR]).collect::<BTreeSet<_>>() {
                    let event = BotEvent::Inject {
                        id: inject.id.to_string(),
                        channel: inject.channel.clone(),
                        seq,
                    };
                    deliveries.push((reader.to_string(), event));
                }
            }
            Item::Act(actor, act) => {
                demo.last_s = demo.last_s.max(now);
                match act {
                    Act::Post(ch, body) => {
                        let channel_id = ChannelId::new(ch.clone()).unwrap();
                        let (policy, members) = channel(&channel_id);
                        assert!(members.contains(&actor.as_str()), "{actor} posted on {ch}");
                        seq += 1;
                        let r = Record {
                            at_s: now,
                            actor: actor.clone(),
                            channel: ch,
                            body,
                        };
                        if policy == "moderated" && actor != MEDIATOR {
                            demo.held.insert(seq);
                            let event = BotEvent::Held {
                                seq,
                                actor: who(&actor),
                                channel: channel_id,
                                body: r.body.clone(),
                            };
                            deliveries.push((MEDIATOR.to_string(), event));
                        } else {
                            deliver_post(seq, &r, &mut deliveries);
                        }
                        demo.posts.insert(seq, r);
                    }
                    Act::Approve(target) => {
                        assert_eq!(actor, MEDIATOR);
                        assert!(demo.held.remove(&target), "approved {target}, not held");
                        demo.approved.push(target);
                        let r = demo.posts[&target].clone();
                        deliver_post(target, &r, &mut deliveries);
                    }
                    Act::Reject(target) => {
                        assert_eq!(actor, MEDIATOR);
                        assert!(demo.held.remove(&target), "rejected {target}, not held");
                        demo.rejected.push(target);
                    }
                    Act::Ack(target) => {
                        let r = &demo.posts[&target];
                        assert_eq!(r.channel, "deescalation");
                        assert_ne!(r.actor, actor, "acknowledged its own post");
                        let previous = demo.acks.insert(target, (actor.clone(), now - r.at_s));
                        assert!(previous.is_none(), "{target} acknowledged twice");
                    }
                }
            }
        }
        for (recipient, event) in deliveries {
            let Some(bot) = bots.get_mut(&recipient) else {
                continue;
            };
            for action in bot.react(&event) {
                let (after_s, act) = match action {
                    BotAction::Post {
                        channel,
                        text,
                        after_s,
                    } => (after_s, Act::Post(channel.to_string(), text)),
                    BotAction::Ack { target, after_s } => (after_s, Act::Ack(target)),
                    BotAction::Approve { target, after_s } => (after_s, Act::Approve(target)),
                    BotAction::Reject {
                        target,
                        after_s,
                        reason,
                    } => {
                        assert!(!reason.is_empty());
                        (after_s, Act::Reject(target))
                    }
                    other => panic!("unexpected action {other:?}"),
                };
                queue.push(Reverse((
                    now + after_s,
                    order,
                    Item::Act(recipient.clone(), act),
                )));
                order += 1;
            }
        }
    }

    let body = |seq: &u64| demo.posts[seq].body.as_str();
    // Moderation: every held post decided; the Syrian raw-coordinates share rejected, and
    // only it; the Israeli summary and the Syrian resubmission approved.
    assert!(demo.held.is_empty(), "undecided: {:?}", demo.held);
    assert_eq!(demo.rejected.len(), 1);
    let rejected = &demo.posts[&demo.rejected[0]];
    assert_eq!(rejected.actor, "syria");
    assert!(rejected.body.contains("grid reference"));
    let approved: Vec<&str> = demo.approved.iter().map(body).collect();
    assert!(
        approved
            .iter()
            .any(|b| b.starts_with("Assessment (summary)")),
        "{approved:?}"
    );
    assert!(
        approved
            .iter()
            .any(|b| b.starts_with("Assessment (summary, resubmitted)"))
    );
    assert!(
        approved.len() >= 4,
        "handling-rule answers and assessments: {approved:?}"
    );

    // Hotline: every party post acknowledged by the other party within two minutes, the
    // incident notification included.
    let hotline: Vec<(&u64, &Record)> = demo
        .posts
        .iter()
        .filter(|(_, r)| r.channel == "deescalation")
        .collect();
    assert!(
        hotline.len() >= 4,
        "tests, notification, answer, points of contact"
    );
    for (seq, r) in &hotline {
        let (by, delay) = demo
            .acks
            .get(seq)
            .unwrap_or_else(|| panic!("not acknowledged: {}", r.body));
        assert!(PARTIES.contains(&by.as_str()) && *by != r.actor);
        assert!(*delay <= 120, "acknowledged after {delay} s");
    }
    assert!(
        hotline
            .iter()
            .any(|(_, r)| r.actor == "israel" && r.body.contains("illumination"))
    );

    // Every keyword rule took part, and the exchanges ended.
    for (name, text) in BOTS {
        let p = Persona::from_toml(text).unwrap();
        for r in p.on_keyword() {
            let n = demo
                .posts
                .values()
                .filter(|post| post.body == r.text)
                .count();
            assert_eq!(n, 1, "{name}: keyword `{}` answered {n} times", r.keyword);
        }
    }
    // Each delegation speaks on every channel it belongs to; the mediator on the open ones.
    let spoke = |who: &str, ch: &str| {
        demo.posts
            .values()
            .any(|r| r.actor == who && r.channel == ch)
    };
    for (ch, _, members) in CHANNELS {
        for party in members.iter().filter(|m| PARTIES.contains(m)) {
            assert!(spoke(party, ch), "{party} silent on {ch}");
        }
    }
    assert!(spoke(MEDIATOR, "diplomacy") && spoke(MEDIATOR, "commerce"));
    assert!(
        demo.last_s <= s.span_s() + 15 * 60,
        "the demo ends near the end of play"
    );

    // The hot wash (the last inject, which asks what worked and what did not) gets an answer
    // from every delegation and the mediator before `exercise run` sends ENDEX, 300 scenario
    // seconds after the last inject.
    let hot_wash = s.timeline().last().copied().unwrap();
    assert!(hot_wash.text.contains("hot wash"), "{}", hot_wash.text);
    for who in ["israel", "syria", MEDIATOR] {
        let answers: Vec<&Record> = demo
            .posts
            .values()
            .filter(|r| r.actor == who && r.channel == hot_wash.channel.as_str())
            .filter(|r| r.at_s > hot_wash.at_s && r.at_s < hot_wash.at_s + 300)
            .collect();
        assert_eq!(
            answers.len(),
            1,
            "{who} answers the hot wash once: {answers:?}"
        );
        assert!(answers[0].body.to_lowercase().contains("hot wash"));
    }
    // Nobody repeats itself: no two posts of one identity on one channel are near-duplicates.
    let posts: Vec<&Record> = demo.posts.values().collect();
    for (i, a) in posts.iter().enumerate() {
        for b in &posts[i + 1..] {
            if a.actor == b.actor && a.channel == b.channel {
                assert!(
                    !fusioncell_scenario::variation::near_duplicate(&a.body, &b.body),
                    "{} repeats itself on {}: {:?} ~ {:?}",
                    a.actor,
                    a.channel,
                    a.body,
                    b.body
                );
            }
        }
    }
}
