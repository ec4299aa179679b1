use std::net::{Ipv4Addr, Ipv6Addr};

use foldhash::HashSetExt;

use super::*;
use crate::records::ZoneRole;

fn txt(text: &str) -> RecordData {
    RecordData::Txt(vec![text.as_bytes().to_vec()].into())
}

fn a(last: u8) -> RecordData {
    RecordData::A(Ipv4Addr::new(192, 0, 2, last))
}

fn aaaa(last: u16) -> RecordData {
    RecordData::Aaaa(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

fn ptr(target: &str) -> RecordData {
    RecordData::Ptr(target.to_owned())
}

fn record(owner: &str, ttl: u32, data: RecordData) -> Record {
    Record {
        owner: owner.into(),
        ttl,
        data,
    }
}

fn zone_plan(origin: &str, records: Vec<Record>) -> ZonePlan {
    ZonePlan {
        origin: origin.into(),
        role: ZoneRole::Forward,
        records,
    }
}

fn live(origin: &str, method: ReadMethod, records: &[(&str, u32, RecordData)]) -> LiveZone {
    let mut zone = LiveZone::new(&origin.into(), method);
    for (owner, ttl, data) in records {
        zone.insert((*owner).into(), *ttl, data.clone());
    }
    zone
}

fn hosts(names: &[&str]) -> HashSet<DomainName> {
    let mut set = HashSet::new();
    set.extend(names.iter().map(|n| DomainName::from(*n)));
    set
}

fn run(plan: &ZonePlan, live: &LiveZone, prune: bool) -> ZoneDiff {
    let hosts = hosts(&["mail1.example.com", "mail2.example.com"]);
    diff(
        plan,
        live,
        Context {
            hosts: &hosts,
            prune,
        },
    )
}

/// `(sign, owner, ttl, data, reason)` of every edit, in order.
fn lines(diff: &ZoneDiff) -> Vec<(char, String, u32, String, Reason)> {
    diff.changes
        .iter()
        .flat_map(|change| {
            change.edits.iter().map(|edit| {
                let sign = match edit.action {
                    Action::Add => '+',
                    Action::Delete => '-',
                };
                (
                    sign,
                    change.key.owner.to_string(),
                    edit.ttl,
                    edit.data.to_string(),
                    edit.reason,
                )
            })
        })
        .collect()
}

fn line(
    sign: char,
    owner: &str,
    ttl: u32,
    data: &str,
    reason: Reason,
) -> (char, String, u32, String, Reason) {
    (sign, owner.to_owned(), ttl, data.to_owned(), reason)
}

fn example_plan() -> ZonePlan {
    zone_plan(
        "example.com",
        vec![
            record("example.com", 3600, txt("v=spf1 ip4:192.0.2.10 -all")),
            record("mail1.example.com", 3600, a(10)),
            record("mail1.example.com", 3600, aaaa(10)),
            record("mail1.example.com", 3600, txt("v=spf1 a -all")),
        ],
    )
}

#[test]
fn an_empty_zone_gets_every_planned_record_as_missing() {
    let plan = example_plan();
    let diff = run(&plan, &live("example.com", ReadMethod::Axfr, &[]), false);
    assert_eq!(
        lines(&diff),
        [
            line(
                '+',
                "example.com",
                3600,
                "v=spf1 ip4:192.0.2.10 -all",
                Reason::Missing
            ),
            line(
                '+',
                "mail1.example.com",
                3600,
                "192.0.2.10",
                Reason::Missing
            ),
            line(
                '+',
                "mail1.example.com",
                3600,
                "2001:db8::a",
                Reason::Missing
            ),
            line(
                '+',
                "mail1.example.com",
                3600,
                "v=spf1 a -all",
                Reason::Missing
            ),
        ]
    );
    assert!(diff.changes.iter().all(|c| c.before.is_none()));
    assert!(diff.notes.is_empty());
    assert!(!diff.in_sync());
    assert_eq!(diff.counts(), (4, 0));
}

#[test]
fn an_old_spf_beside_site_verification_is_replaced_alone_at_the_live_ttl() {
    let plan = example_plan();
    let google = txt("google-site-verification=abc");
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            ("example.com", 300, txt("v=spf1 ip4:192.0.2.9 -all")),
            ("example.com", 300, google.clone()),
            ("mail1.example.com", 3600, a(10)),
            ("mail1.example.com", 3600, aaaa(10)),
            ("mail1.example.com", 3600, txt("v=spf1 a -all")),
        ],
    );
    let diff = run(&plan, &zone, false);
    assert_eq!(
        lines(&diff),
        [
            line(
                '-',
                "example.com",
                300,
                "v=spf1 ip4:192.0.2.9 -all",
                Reason::Drift
            ),
            line(
                '+',
                "example.com",
                300,
                "v=spf1 ip4:192.0.2.10 -all",
                Reason::Drift
            ),
        ]
    );
    let change = &diff.changes[0];
    assert_eq!(change.before.as_ref().unwrap().records.len(), 2);
    let after = change.after.as_ref().unwrap();
    assert_eq!(after.ttl, 300);
    assert!(after.records.contains(&google));
    assert!(!change.rewrites_ttl());
    assert_eq!(
        diff.notes,
        [Note::SharedTtl {
            owner: "example.com".into(),
            live: 300,
            planned: 3600,
            foreign: 1,
        }]
    );
}

#[test]
fn foreign_txt_alone_gets_the_spf_added_beside_it() {
    let plan = zone_plan(
        "example.com",
        vec![record("example.com", 3600, txt("v=spf1 -all"))],
    );
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[("example.com", 3600, txt("google-site-verification=abc"))],
    );
    let diff = run(&plan, &zone, false);
    assert_eq!(
        lines(&diff),
        [line(
            '+',
            "example.com",
            3600,
            "v=spf1 -all",
            Reason::Missing
        )]
    );
    assert_eq!(diff.changes[0].after.as_ref().unwrap().records.len(), 2);
    assert!(diff.notes.is_empty());
}

#[test]
fn two_spf_records_become_the_one_planned() {
    let plan = zone_plan(
        "example.com",
        vec![record("example.com", 3600, txt("v=spf1 -all"))],
    );
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            ("example.com", 3600, txt("v=spf1 -all")),
            ("example.com", 3600, txt("V=SPF1 mx -all")),
        ],
    );
    let diff = run(&plan, &zone, false);
    assert_eq!(
        lines(&diff),
        [line(
            '-',
            "example.com",
            3600,
            "V=SPF1 mx -all",
            Reason::Drift
        )]
    );
}

#[test]
fn a_stale_address_is_kept_without_prune_and_deleted_with_it() {
    let plan = example_plan();
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            ("example.com", 3600, txt("v=spf1 ip4:192.0.2.10 -all")),
            ("mail1.example.com", 3600, a(10)),
            ("mail1.example.com", 3600, a(99)),
            ("mail1.example.com", 3600, aaaa(10)),
            ("mail1.example.com", 3600, txt("v=spf1 a -all")),
        ],
    );
    let kept = run(&plan, &zone, false);
    assert!(kept.changes.is_empty());
    assert!(kept.in_sync());
    assert_eq!(kept.kept.len(), 1);
    assert_eq!(kept.kept[0].data, a(99));

    let pruned = run(&plan, &zone, true);
    assert_eq!(
        lines(&pruned),
        [line(
            '-',
            "mail1.example.com",
            3600,
            "192.0.2.99",
            Reason::Stale
        )]
    );
    assert_eq!(
        pruned.changes[0].after,
        Some(Rrset {
            ttl: 3600,
            records: vec![a(10)]
        })
    );
    assert!(pruned.kept.is_empty());
}

#[test]
fn an_address_of_the_other_family_is_stale() {
    let plan = zone_plan(
        "example.com",
        vec![record("mail1.example.com", 3600, a(10))],
    );
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            ("mail1.example.com", 3600, a(10)),
            ("mail1.example.com", 60, aaaa(7)),
        ],
    );
    let pruned = run(&plan, &zone, true);
    assert_eq!(
        lines(&pruned),
        [line(
            '-',
            "mail1.example.com",
            60,
            "2001:db8::7",
            Reason::Stale
        )]
    );
    assert_eq!(pruned.changes[0].after, None);
    // Kept, its TTL is left alone: the plan has no AAAA there.
    assert!(run(&plan, &zone, false).changes.is_empty());
}

#[test]
fn a_ttl_change_rewrites_the_set() {
    let plan = zone_plan(
        "example.com",
        vec![record("mail1.example.com", 3600, a(10))],
    );
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[("mail1.example.com", 60, a(10))],
    );
    let diff = run(&plan, &zone, false);
    assert_eq!(
        lines(&diff),
        [
            line('-', "mail1.example.com", 60, "192.0.2.10", Reason::Ttl),
            line('+', "mail1.example.com", 3600, "192.0.2.10", Reason::Ttl),
        ]
    );
    assert!(diff.changes[0].rewrites_ttl());
}

#[test]
fn a_ptr_to_another_name_drifts_and_a_stale_ptr_outside_the_plan_is_found() {
    let plan = ZonePlan {
        origin: "2.0.192.in-addr.arpa".into(),
        role: ZoneRole::Reverse,
        records: vec![record(
            "10.2.0.192.in-addr.arpa",
            3600,
            ptr("mail1.example.com"),
        )],
    };
    let zone = live(
        "2.0.192.in-addr.arpa",
        ReadMethod::Axfr,
        &[
            ("10.2.0.192.in-addr.arpa", 3600, ptr("old.example.com")),
            ("11.2.0.192.in-addr.arpa", 3600, ptr("mail2.example.com")),
            ("12.2.0.192.in-addr.arpa", 3600, ptr("printer.example.com")),
        ],
    );
    let diff = run(&plan, &zone, false);
    assert_eq!(
        lines(&diff),
        [
            line(
                '-',
                "10.2.0.192.in-addr.arpa",
                3600,
                "old.example.com.",
                Reason::Drift
            ),
            line(
                '+',
                "10.2.0.192.in-addr.arpa",
                3600,
                "mail1.example.com.",
                Reason::Drift
            ),
        ]
    );
    assert_eq!(diff.kept.len(), 1);
    assert_eq!(diff.kept[0].key.owner, "11.2.0.192.in-addr.arpa");

    let pruned = run(&plan, &zone, true);
    assert_eq!(
        lines(&pruned)[2..],
        [line(
            '-',
            "11.2.0.192.in-addr.arpa",
            3600,
            "mail2.example.com.",
            Reason::Stale
        )]
    );
}

#[test]
fn queries_cannot_see_stale_data_outside_the_plan_and_say_so() {
    let plan = ZonePlan {
        origin: "2.0.192.in-addr.arpa".into(),
        role: ZoneRole::Reverse,
        records: vec![record(
            "10.2.0.192.in-addr.arpa",
            3600,
            ptr("mail1.example.com"),
        )],
    };
    let zone = live(
        "2.0.192.in-addr.arpa",
        ReadMethod::Queries,
        &[("10.2.0.192.in-addr.arpa", 3600, ptr("mail1.example.com"))],
    );
    let diff = run(&plan, &zone, true);
    assert!(diff.changes.is_empty());
    assert_eq!(diff.notes, [Note::PartialRead]);
    assert!(diff.in_sync());
}

#[test]
fn an_unused_chain_link_is_stale_and_foreign_text_there_stays() {
    let plan = zone_plan(
        "example.com",
        vec![
            record(
                "_spf1.example.com",
                3600,
                txt("v=spf1 ip4:192.0.2.0/24 -all"),
            ),
            record(
                "example.com",
                3600,
                txt("v=spf1 include:_spf1.example.com -all"),
            ),
        ],
    );
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            (
                "_spf1.example.com",
                3600,
                txt("v=spf1 ip4:192.0.2.0/24 -all"),
            ),
            (
                "example.com",
                3600,
                txt("v=spf1 include:_spf1.example.com -all"),
            ),
            (
                "_spf2.example.com",
                3600,
                txt("v=spf1 ip4:198.51.100.0/24 -all"),
            ),
            ("_spf2.example.com", 3600, txt("note")),
            ("_spfx.example.com", 3600, txt("v=spf1 -all")),
        ],
    );
    let diff = run(&plan, &zone, true);
    assert_eq!(
        lines(&diff),
        [line(
            '-',
            "_spf2.example.com",
            3600,
            "v=spf1 ip4:198.51.100.0/24 -all",
            Reason::Stale
        )]
    );
    assert_eq!(
        diff.changes[0].after.as_ref().unwrap().records,
        [txt("note")]
    );
}

#[test]
fn a_cname_at_a_planned_host_is_a_conflict_left_alone() {
    let plan = example_plan();
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            ("example.com", 3600, txt("v=spf1 ip4:192.0.2.10 -all")),
            (
                "mail1.example.com",
                3600,
                RecordData::Cname("relay.example.net".to_owned()),
            ),
        ],
    );
    let diff = run(&plan, &zone, true);
    assert!(diff.changes.is_empty());
    assert_eq!(
        diff.notes,
        [Note::Conflict {
            owner: "mail1.example.com".into(),
            planned: RrType::A,
            existing: "CNAME relay.example.net.".to_owned(),
        }]
    );
    assert!(!diff.in_sync());
}

#[test]
fn dmarc_records_replace_only_dmarc_text() {
    let plan = zone_plan(
        "example.com",
        vec![record(
            "_dmarc.example.com",
            3600,
            txt("v=DMARC1; p=reject"),
        )],
    );
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            ("_dmarc.example.com", 3600, txt("v=DMARC1; p=none")),
            ("_dmarc.example.com", 3600, txt("v=spf1 -all")),
        ],
    );
    let diff = run(&plan, &zone, false);
    assert_eq!(
        lines(&diff),
        [
            line(
                '-',
                "_dmarc.example.com",
                3600,
                "v=DMARC1; p=none",
                Reason::Drift
            ),
            line(
                '+',
                "_dmarc.example.com",
                3600,
                "v=DMARC1; p=reject",
                Reason::Drift
            ),
        ]
    );
}

#[test]
fn a_zone_that_serves_the_plan_needs_nothing() {
    let plan = example_plan();
    let records: Vec<(&str, u32, RecordData)> = plan
        .records
        .iter()
        .map(|r| (r.owner.as_str(), r.ttl, r.data.clone()))
        .collect();
    let diff = run(&plan, &live("example.com", ReadMethod::Api, &records), true);
    assert!(diff.in_sync());
    assert!(diff.kept.is_empty() && diff.notes.is_empty());
}

#[test]
fn the_inverse_undoes_a_change() {
    let plan = example_plan();
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[("example.com", 300, txt("v=spf1 ip4:192.0.2.9 -all"))],
    );
    let diff = run(&plan, &zone, false);
    let change = &diff.changes[0];
    let inverse = change.inverse();
    assert_eq!(inverse.before, change.after);
    assert_eq!(inverse.after, change.before);
    assert_eq!(inverse.edits[0].action, Action::Delete);
    assert_eq!(inverse.edits[0].data, txt("v=spf1 ip4:192.0.2.10 -all"));
    assert_eq!(inverse.edits[1].action, Action::Add);
    assert_eq!(inverse.inverse(), *change);
}

#[test]
fn dkim_key_records_replace_only_key_records_and_other_selectors_stay() {
    let revoked = "v=DKIM1; k=rsa; p=";
    let plan = zone_plan(
        "example.com",
        vec![record("old._domainkey.example.com", 3600, txt(revoked))],
    );
    let zone = live(
        "example.com",
        ReadMethod::Axfr,
        &[
            // The key being revoked, written without `v=` (RFC 6376
            // §3.6.1 makes it optional), and a note someone left there.
            ("old._domainkey.example.com", 3600, txt("k=rsa; p=MIGfMA0G")),
            ("old._domainkey.example.com", 3600, txt("owner: mail team")),
            // Another party's selector: never senderzone's.
            (
                "google._domainkey.example.com",
                3600,
                txt("v=DKIM1; p=MIIB"),
            ),
        ],
    );
    for prune in [false, true] {
        let diff = run(&plan, &zone, prune);
        assert_eq!(
            lines(&diff),
            [
                line(
                    '-',
                    "old._domainkey.example.com",
                    3600,
                    "k=rsa; p=MIGfMA0G",
                    Reason::Drift
                ),
                line(
                    '+',
                    "old._domainkey.example.com",
                    3600,
                    revoked,
                    Reason::Drift
                ),
            ]
        );
        assert!(diff.kept.is_empty());
    }
}
