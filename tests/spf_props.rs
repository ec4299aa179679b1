//! Property tests of the SPF parser.
//!
//! - `parse(display(r)) == r` for generated records (the canonical `Display` law);
//! - no input, however malformed, makes the parser, the linter or the
//!   evaluator panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use senderzone::dns::RecordData;
use senderzone::dns::memory::MemoryZone;
use senderzone::spf::{
    CheckParams, Config, Directive, DualCidr, Macro, MacroItem, MacroLetter, MacroString,
    Mechanism, Modifier, Profile, Qualifier, Record, Term, check_host, lint_record, parse,
    parse_explanation,
};

fn qualifier() -> impl Strategy<Value = Option<Qualifier>> {
    prop_oneof![
        Just(None),
        Just(Some(Qualifier::Pass)),
        Just(Some(Qualifier::Fail)),
        Just(Some(Qualifier::SoftFail)),
        Just(Some(Qualifier::Neutral)),
    ]
}

fn macro_item(exp: bool) -> impl Strategy<Value = MacroItem> {
    let letters = if exp { "slodipvhcrt" } else { "slodipvh" };
    let letter = proptest::sample::select(letters.chars().collect::<Vec<_>>())
        .prop_map(|c| MacroLetter::from_char(c).expect("letter"));
    (
        letter,
        any::<bool>(),
        proptest::option::of(1u32..200),
        any::<bool>(),
        "[-.+,/_=]{0,3}",
    )
        .prop_map(|(letter, url_escape, digits, reverse, delimiters)| {
            MacroItem::Macro(Macro {
                letter,
                url_escape,
                digits,
                reverse,
                delimiters,
            })
        })
}

/// Any macro-string part of a record (no spaces, `%` only in escapes).
fn part() -> impl Strategy<Value = MacroItem> {
    prop_oneof![
        4 => "[a-zA-Z0-9.:/_=!#&*-]{1,6}".prop_map(|text| MacroItem::Literal(text.into())),
        2 => macro_item(false),
        1 => Just(MacroItem::Percent),
        1 => Just(MacroItem::Space),
        1 => Just(MacroItem::UrlSpace),
    ]
}

/// A domain-spec: any parts, then `.toplabel[.]` or a macro (RFC 7208 §7.1 `domain-end`).
fn domain_spec() -> impl Strategy<Value = MacroString> {
    let toplabel = prop_oneof![
        "[a-z][a-z0-9]{0,5}",
        "[0-9]{0,3}[a-z][a-z0-9]{0,3}",
        "[a-z0-9]{1,3}-[a-z0-9-]{0,3}[a-z0-9]",
    ];
    let end = prop_oneof![
        (toplabel, any::<bool>()).prop_map(|(top, dot)| {
            MacroItem::Literal(format!(".{top}{}", if dot { "." } else { "" }).into())
        }),
        macro_item(false),
    ];
    (proptest::collection::vec(part(), 0..4), end).prop_map(|(mut items, end)| {
        items.push(end);
        MacroString::new(items)
    })
}

fn cidr() -> impl Strategy<Value = DualCidr> {
    (
        proptest::option::of(0u8..=32),
        proptest::option::of(0u8..=128),
    )
        .prop_map(|(ip4, ip6)| DualCidr { ip4, ip6 })
}

fn mechanism() -> impl Strategy<Value = Mechanism> {
    prop_oneof![
        Just(Mechanism::All),
        domain_spec().prop_map(Mechanism::Include),
        (proptest::option::of(domain_spec()), cidr())
            .prop_map(|(domain, cidr)| Mechanism::A { domain, cidr }),
        (proptest::option::of(domain_spec()), cidr())
            .prop_map(|(domain, cidr)| Mechanism::Mx { domain, cidr }),
        proptest::option::of(domain_spec()).prop_map(Mechanism::Ptr),
        (any::<u32>(), proptest::option::of(0u8..=32)).prop_map(|(a, prefix)| Mechanism::Ip4 {
            addr: Ipv4Addr::from(a),
            prefix
        }),
        (any::<u128>(), proptest::option::of(0u8..=128)).prop_map(|(a, prefix)| {
            Mechanism::Ip6 {
                addr: Ipv6Addr::from(a),
                prefix,
            }
        }),
        domain_spec().prop_map(Mechanism::Exists),
    ]
}

fn unknown_modifier() -> impl Strategy<Value = Term> {
    let name = "[a-zA-Z][a-zA-Z0-9._-]{0,8}".prop_filter("known modifier", |n| {
        !n.eq_ignore_ascii_case("redirect") && !n.eq_ignore_ascii_case("exp")
    });
    (name, proptest::collection::vec(part(), 0..4)).prop_map(|(name, items)| {
        Term::Modifier(Modifier::Unknown {
            name,
            value: MacroString::new(items),
        })
    })
}

fn record() -> impl Strategy<Value = Record> {
    let term = prop_oneof![
        4 => (qualifier(), mechanism()).prop_map(|(qualifier, mechanism)| {
            Term::Directive(Directive { qualifier, mechanism })
        }),
        1 => unknown_modifier(),
    ];
    (
        proptest::collection::vec(term, 0..8),
        proptest::option::of(domain_spec()),
        proptest::option::of(domain_spec()),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut terms, redirect, exp, at)| {
            if let Some(target) = redirect {
                let i = at.index(terms.len() + 1);
                terms.insert(i, Term::Modifier(Modifier::Redirect(target)));
            }
            if let Some(target) = exp {
                terms.push(Term::Modifier(Modifier::Explanation(target)));
            }
            Record::new(terms)
        })
}

fn explanation() -> impl Strategy<Value = MacroString> {
    let part = prop_oneof![
        4 => "[a-zA-Z0-9 .:/_=!?#&*-]{1,8}".prop_map(|text| MacroItem::Literal(text.into())),
        2 => macro_item(true),
        1 => Just(MacroItem::Percent),
        1 => Just(MacroItem::Space),
        1 => Just(MacroItem::UrlSpace),
    ];
    proptest::collection::vec(part, 0..6).prop_map(MacroString::new)
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

proptest! {
    #[test]
    fn display_then_parse_gives_the_same_record(record in record()) {
        let text = record.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(e.render()))?;
        prop_assert_eq!(&parsed, &record);
        prop_assert!(parsed.offsets().eq(record.offsets()));
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn explanation_display_then_parse(value in explanation()) {
        let text = value.to_string();
        let parsed = parse_explanation(&text).map_err(|e| TestCaseError::fail(e.render()))?;
        prop_assert_eq!(parsed, value);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
        let _ = parse_explanation(&text);
        let _ = lint_record(&[text.as_bytes()], &Profile { strict: true });
    }

    #[test]
    fn spf_like_text_never_panics(
        text in "(v|V)=(spf|SPF)1( {1,2}[-+?~]?[a-zA-Z0-9:./%{}=_\\x00\\r\\x80é-]{0,14}){0,6} ?"
    ) {
        if let Err(e) = parse(&text) {
            prop_assert!(e.offset <= text.len());
            prop_assert!(!e.render().is_empty());
        }
        let _ = lint_record(&[text.as_bytes()], &Profile::default());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_evaluator(
        bytes in proptest::collection::vec(any::<u8>(), 0..80),
        tail in "( [-+?~]?(a|mx|ptr|include|exists|ip4|ip6|redirect|exp)[:=/]?[a-z0-9.%{}/:]{0,10}){0,4}",
    ) {
        let mut zone = MemoryZone::new();
        let mut record = b"v=spf1 ".to_vec();
        record.extend_from_slice(tail.as_bytes());
        zone.insert("example.com", RecordData::Txt(vec![record].into()));
        zone.insert("bytes.example.com", RecordData::Txt(vec![bytes.clone()].into()));
        let _ = lint_record(&[bytes.as_slice()], &Profile::default());
        let config = Config::default();
        for domain in ["example.com", "bytes.example.com"] {
            let params = CheckParams::mail_from(IpAddr::from([192, 0, 2, 1]), &format!("a@{domain}"), "h.example");
            let evaluation = block_on(check_host(&zone, &params, &config));
            prop_assert!(serde_json::to_string(&evaluation).is_ok());
        }
    }
}
