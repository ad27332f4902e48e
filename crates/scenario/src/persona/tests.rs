//! Personas: parsing, checking against a scenario and cell, reactions, and the bot's memory.

use std::collections::BTreeSet;

use super::*;

const ISRAEL: &str = r#"
identity = "israel"

[[on_inject]]
inject = "M1-02"
channel = "security"
after_s = 120
text = "Assessment follows."

[[on_inject]]
inject_channel = "commerce"
after_s = 10
text = "Noted on commerce."

[[on_keyword]]
keyword = "Ceasefire"
channel = "diplomacy"
after_s = 60
text = "We support a ceasefire."
variants = ["A ceasefire has our full backing.", "Our delegation backs an immediate truce."]
max_times = 2

[[on_keyword]]
keyword = "water"
after_s = 5
text = "Water is on our list."

[hotline]
ack = true
after_s = 30
"#;

const US: &str = r#"
identity = "us"

[moderation]
default = "approve"
reject_if_contains = ["Coordinates"]
reject_reason = "Share assessments, not raw targeting data."
after_s = 45
"#;

fn ch(s: &str) -> ChannelId {
    ChannelId::new(s).unwrap()
}

fn who(s: &str) -> IdentityId {
    IdentityId::new(s).unwrap()
}

fn post(seq: u64, actor: &str, channel: &str, body: &str) -> BotEvent {
    BotEvent::Post {
        seq,
        actor: who(actor),
        channel: ch(channel),
        body: body.into(),
    }
}

#[test]
fn on_inject_by_id_and_by_channel() {
    let p = Persona::from_toml(ISRAEL).unwrap();
    let inject = |id: &str, channel: &str| BotEvent::Inject {
        id: id.into(),
        channel: ch(channel),
        seq: 7,
    };
    assert_eq!(
        p.react(&inject("M1-02", "diplomacy")),
        [BotAction::Post {
            channel: ch("security"),
            text: "Assessment follows.".into(),
            after_s: 120
        }]
    );
    assert_eq!(
        p.react(&inject("M3-01", "commerce")),
        [BotAction::Post {
            channel: ch("commerce"),
            text: "Noted on commerce.".into(),
            after_s: 10
        }],
        "answers on the inject's channel by default"
    );
    assert!(p.react(&inject("M9-99", "diplomacy")).is_empty());
}

#[test]
fn on_keyword_is_case_insensitive_channel_bound_and_ignores_self() {
    let p = Persona::from_toml(ISRAEL).unwrap();
    let a = p.react(&post(3, "syria", "diplomacy", "A CEASEFIRE now"));
    assert_eq!(
        a,
        [BotAction::Post {
            channel: ch("diplomacy"),
            text: "We support a ceasefire.".into(),
            after_s: 60
        }]
    );
    assert!(
        p.react(&post(4, "syria", "commerce", "ceasefire"))
            .is_empty()
    );
    assert!(
        p.react(&post(5, "israel", "diplomacy", "ceasefire"))
            .is_empty(),
        "own post"
    );
    let both = p.react(&post(6, "us", "diplomacy", "ceasefire and water, water"));
    assert_eq!(both.len(), 2, "each rule once per post: {both:?}");
    assert!(matches!(&p.react(&post(7, "us", "commerce", "Water"))[..],
            [BotAction::Post { channel, .. }] if channel == "commerce"));
}

#[test]
fn bot_answers_each_event_once_and_caps_keyword_rules() {
    let mut bot = Bot::new(Persona::from_toml(ISRAEL).unwrap());
    let e = post(3, "syria", "diplomacy", "ceasefire");
    assert_eq!(bot.react(&e).len(), 1);
    assert!(bot.react(&e).is_empty(), "redelivered: not answered twice");
    assert_eq!(
        bot.react(&post(4, "syria", "diplomacy", "ceasefire")).len(),
        1
    );
    assert!(
        bot.react(&post(5, "syria", "diplomacy", "ceasefire"))
            .is_empty(),
        "max_times"
    );
    // No cap, but one wording: the bot says it once per channel, never again word for word.
    assert_eq!(bot.react(&post(10, "syria", "commerce", "water")).len(), 1);
    for seq in 11..20 {
        assert!(
            bot.react(&post(seq, "syria", "commerce", "water"))
                .is_empty(),
            "no repeat"
        );
    }
    assert_eq!(bot.react(&post(20, "syria", "security", "water")).len(), 1);
}

fn texts(actions: &[BotAction]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            BotAction::Post { text, .. } => text.clone(),
            other => panic!("not a post: {other:?}"),
        })
        .collect()
}

#[test]
fn several_injects_answered_at_once_never_get_the_same_text_twice() {
    let inject = |seq: u64, id: &str| BotEvent::Inject {
        id: id.into(),
        channel: ch("commerce"),
        seq,
    };
    // One wording: three injects on commerce at the same moment get one answer, not three.
    let mut bot = Bot::new(Persona::from_toml(ISRAEL).unwrap());
    let answers: Vec<BotAction> = [(3, "M1-04"), (4, "M2-06"), (5, "M3-04")]
        .iter()
        .flat_map(|(seq, id)| bot.react(&inject(*seq, id)))
        .collect();
    assert_eq!(texts(&answers), ["Noted on commerce."]);
    // With variants, each answer has its own wording, none a near-duplicate of another.
    let varied = ISRAEL.replace(
        "text = \"Noted on commerce.\"",
        "text = \"Noted on commerce.\"\nvariants = [\"We will study this in the working group.\", \
         \"Our trade experts are looking at it now.\"]",
    );
    let mut bot = Bot::new(Persona::from_toml(&varied).unwrap());
    let answers: Vec<BotAction> = [(3, "M1-04"), (4, "M2-06"), (5, "M3-04"), (6, "M3-09")]
        .iter()
        .flat_map(|(seq, id)| bot.react(&inject(*seq, id)))
        .collect();
    let said = texts(&answers);
    assert_eq!(said.len(), 3, "three wordings, three answers: {said:?}");
    for (i, a) in said.iter().enumerate() {
        for b in &said[i + 1..] {
            assert!(!crate::variation::near_duplicate(a, b), "{a} ~ {b}");
        }
    }
}

#[test]
fn choices_and_delays_vary_but_replay_with_the_same_seed() {
    let varied = ISRAEL.replace(
        "text = \"Noted on commerce.\"",
        "text = \"Noted on commerce.\"\nvariants = [\"We will study this in the working group.\", \
         \"Our trade experts are looking at it now.\"]",
    );
    let persona = Persona::from_toml(&varied).unwrap();
    let run = |seed: u64| -> Vec<(String, u64)> {
        let mut bot = Bot::seeded(persona.clone(), seed);
        (0..3)
            .flat_map(|k| {
                bot.react(&BotEvent::Inject {
                    id: format!("X-{k}"),
                    channel: ch("commerce"),
                    seq: k,
                })
                .into_iter()
                .map(|a| match a {
                    BotAction::Post { text, after_s, .. } => (text, after_s),
                    other => panic!("{other:?}"),
                })
            })
            .collect()
    };
    assert_eq!(run(1), run(1), "the same seed replays exactly");
    let runs: Vec<Vec<(String, u64)>> = (0..8).map(run).collect();
    assert!(runs.iter().any(|r| *r != runs[0]), "seeds vary the run");
    for (_, after_s) in runs.iter().flatten() {
        assert!(
            (8..=12).contains(after_s),
            "10 s varied by a quarter at most: {after_s}"
        );
    }
    let hotline = BotEvent::Hotline {
        seq: 9,
        actor: who("syria"),
        channel: ch("deescalation"),
    };
    let delays: BTreeSet<u64> = (0..20)
        .map(|seed| Bot::seeded(persona.clone(), seed).react(&hotline)[0].after_s())
        .collect();
    assert!(
        delays.len() > 3 && delays.iter().all(|d| (23..=37).contains(d)),
        "{delays:?}"
    );
}

#[test]
fn hotline_acknowledges_the_other_side() {
    let p = Persona::from_toml(ISRAEL).unwrap();
    let hot = |actor: &str| BotEvent::Hotline {
        seq: 9,
        actor: who(actor),
        channel: ch("deescalation"),
    };
    assert_eq!(
        p.react(&hot("syria")),
        [BotAction::Ack {
            target: 9,
            after_s: 30
        }]
    );
    assert!(p.react(&hot("israel")).is_empty());
    let off = Persona::from_toml(&ISRAEL.replace("ack = true", "ack = false")).unwrap();
    assert!(off.react(&hot("syria")).is_empty());
}

#[test]
fn moderation_approves_or_rejects() {
    let p = Persona::from_toml(US).unwrap();
    let held = |body: &str| BotEvent::Held {
        seq: 11,
        actor: who("syria"),
        channel: ch("security"),
        body: body.into(),
    };
    assert_eq!(
        p.react(&held("Summary: patrol activity, low threat.")),
        [BotAction::Approve {
            target: 11,
            after_s: 45
        }]
    );
    assert_eq!(
        p.react(&held("Group at COORDINATES 12, 34")),
        [BotAction::Reject {
            target: 11,
            reason: "Share assessments, not raw targeting data.".into(),
            after_s: 45
        }]
    );
    assert!(
        p.react(&post(1, "syria", "security", "coordinates"))
            .is_empty(),
        "not held"
    );
    let strict = Persona::from_toml(&US.replace("\"approve\"", "\"reject\"")).unwrap();
    assert!(matches!(
        &strict.react(&held("fine"))[..],
        [BotAction::Reject { .. }]
    ));
    let own = BotEvent::Held {
        seq: 1,
        actor: who("us"),
        channel: ch("security"),
        body: "x".into(),
    };
    assert!(p.react(&own).is_empty());
}

#[test]
fn errors_name_line_and_field() {
    let err = |t: &str| Persona::from_toml(t).unwrap_err().to_string();
    let e = err(&ISRAEL.replace(
        "inject_channel = \"commerce\"",
        "inject = \"x\"\ninject_channel = \"commerce\"",
    ));
    assert_eq!(
        e,
        "line 10: on_inject[1]: give either `inject` or `inject_channel`, not both"
    );
    let e = err(&ISRAEL.replace("inject_channel = \"commerce\"\n", ""));
    assert!(e.starts_with("line 10: on_inject[1]: give `inject`"), "{e}");
    let e = err(&ISRAEL.replace("after_s = 60", "after_s = 100000"));
    assert!(
        e.starts_with("line 18, column 11: on_keyword[0].after_s: after_s must be"),
        "{e}"
    );
    let e = err(&ISRAEL.replace("max_times = 2", "max_times = 0"));
    assert!(
        e.contains("on_keyword[0].max_times: max_times must be at least 1"),
        "{e}"
    );
    let e = err(&ISRAEL.replace("after_s = 30", "after_s = 30\nnack = 1"));
    assert!(
        e.contains("hotline.nack") && e.contains("unknown field"),
        "{e}"
    );
    let e = err(&US.replace(
        "reject_reason = \"Share assessments, not raw targeting data.\"\n",
        "",
    ));
    assert_eq!(
        e,
        "line 4: moderation.reject_reason: required when a post can be rejected: the sender is shown why"
    );
    let e = err(&US.replace("\"approve\"", "\"maybe\""));
    assert!(
        e.starts_with("line 5, column 11: moderation.default: unknown variant"),
        "{e}"
    );
    let e = err(&US.replace("identity = \"us\"", "identity = \"US\""));
    assert!(e.starts_with("line 2, column 12: identity:"), "{e}");
}

#[test]
fn check_against_scenario_and_cell() {
    let scenario = Scenario::from_toml(
        "[scenario]\ntitle = \"s\"\n[[move]]\nid = \"M1\"\ntitle = \"m\"\n[[inject]]\n\
             id = \"M1-02\"\nat = 1\nmove = \"M1\"\nchannel = \"security\"\ntitle = \"t\"\n\
             text = \"x\"\nexpected = []\n",
    )
    .unwrap();
    let p = Persona::from_toml(ISRAEL).unwrap();
    let chans: Vec<ChannelId> = ["security", "commerce", "diplomacy"].map(ch).to_vec();
    assert!(p.check(&scenario, &chans).is_ok());
    let e = p.check(&scenario, &chans[..2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "on_keyword[0].channel: `diplomacy` is not a channel of the cell"
    );
    let other = Persona::from_toml(&ISRAEL.replace("M1-02", "M1-03")).unwrap();
    let e = other.check(&scenario, &chans).unwrap_err();
    assert_eq!(
        e.to_string(),
        "on_inject[0].inject: `M1-03` is not an inject of \"s\""
    );
}
