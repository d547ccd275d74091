//! The typed history's notes: each prints the text trace format version 1 wrote, and that
//! text reads back into the same note; text no note prints does not read.

use model::Note;

fn every_kind() -> Vec<Note> {
    let c = |s: &str| s.to_string();
    vec![
        Note::Expired {
            key: c("lock:res"),
            server: None,
        },
        Note::Expired {
            key: c("a key with spaces expires"),
            server: Some(2),
        },
        Note::TimedOut { client: c("A") },
        Note::Served { client: c("B") },
        Note::Blocks { client: c("C") },
        Note::LeaseRanOut { client: c("A1") },
        Note::Crashed { client: c("D") },
        Note::ForeignRelease {
            by: c("B"),
            owner: c("A"),
        },
        Note::Unmodelled {
            command: c("OBJECT"),
        },
        Note::Replicated {
            replica: 0,
            write: 3,
        },
        Note::Promoted {
            replica: 1,
            had: 2,
            head: 5,
        },
        Note::Restarted { server: 1 },
        Note::Violated {
            property: c("mutual-exclusion"),
            message: c("A and B are both in the critical section; A removes B's lock"),
        },
        Note::LiveAnsweredAtOnce {
            command: c("BLPOP"),
        },
        Note::LiveStillBlocked { client: c("A") },
        Note::LiveNothingToDo {
            client: c("B"),
            crashed: true,
        },
        Note::LiveNothingToDo {
            client: c("B"),
            crashed: false,
        },
        Note::LiveNoExpiry {
            key: c("lock:res"),
            t: 4,
        },
    ]
}

#[test]
fn every_note_reads_back_from_its_version_1_text() {
    for n in every_kind() {
        let text = n.to_string();
        assert_eq!(Note::from_v1(&text), Some(n.clone()), "{text}");
    }
}

#[test]
fn version_1_texts_as_the_model_wrote_them() {
    let cases = [
        ("lock:res expires", "expired"),
        ("lock:res expires on server 0", "expired"),
        ("A's BLPOP times out", "timed-out"),
        ("B's BLPOP is served", "served"),
        ("A's lease runs out", "lease-ran-out"),
        ("A crashes; its connections close", "crashed"),
        ("B removes A's lock", "foreign-release"),
        ("replica 1 applies write 2", "replicated"),
        (
            "the primary fails; replica 1 (at write 0 of 1) is promoted, every connection \
             moves to it, the other replicas resync from it (renumbered from 1)",
            "promoted",
        ),
        (
            "server 0 restarts empty (no persistence); its connections close",
            "restarted",
        ),
        (
            "no-oversell violated: stock = -1: stock went negative",
            "violated",
        ),
    ];
    for (text, tag) in cases {
        let n = Note::from_v1(text).unwrap_or_else(|| panic!("{text} does not read"));
        assert_eq!(n.to_string(), text);
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["note"], tag, "{json}");
    }
}

#[test]
fn text_no_note_prints_does_not_read() {
    for text in [
        "",
        "something else happened",
        "live: sent as SET k v PX 200",
        "replica one applies write 2",
        "a b violated: spaces in a property name",
    ] {
        assert_eq!(Note::from_v1(text), None, "{text}");
    }
}
