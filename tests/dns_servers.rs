//! Self-tests of the real-server harness in `tests/support`, on hand-written
//! zones: what goes into NSD and BIND comes back byte for byte, reverse and
//! RFC 2317 zones load and answer, the validators agree, RFC 2136 updates
//! land, and servers go away when dropped.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};

use crate::support::{self, Bind, Nsd};

const FORWARD: &str = "example.com";
const REVERSE6: &str = "8.b.d.0.1.0.0.2.ip6.arpa";
const PARENT: &str = "100.51.198.in-addr.arpa";
const CHILD_SLASH: &str = "64/26.100.51.198.in-addr.arpa";
const CHILD_HYPHEN: &str = "64-26.100.51.198.in-addr.arpa";

/// The 255-octet first string of the apex SPF record.
fn spf_head() -> Vec<u8> {
    let mut head = b"v=spf1".to_vec();
    let mut i = 0;
    while head.len() < 255 {
        head.extend_from_slice(format!(" ip4:198.51.100.{i}").as_bytes());
        i += 1;
    }
    head.truncate(255);
    head
}

/// The 45-octet second string: the split falls inside a term, as allowed.
fn spf_tail() -> Vec<u8> {
    let tail = b" ip6:2001:db8::/32 include:_spf.example.net -all".to_vec();
    tail[tail.len() - 45..].to_vec()
}

/// One string of the large RRset `big` (10 records × 2 × 200 octets).
fn big_string(record: usize, part: usize) -> Vec<u8> {
    format!("r{record:02}p{part}-")
        .bytes()
        .cycle()
        .take(200)
        .collect()
}

/// The forward zone; the snippet sets its own `$TTL 300`.
fn forward_zone() -> String {
    let mut snippet = format!(
        "$ORIGIN example.com.\n$TTL 300\n\
         @      IN TXT ( \"{}\"\n                \"{}\" )\n\
         tricky IN TXT \"q\\\"b\\\\s;c\\007e\\233\" \"two words\"\n\
         mail   IN A    198.51.100.10\n\
         mail   IN A    198.51.100.11\n\
         mail   IN AAAA 2001:db8::10\n\
         www    IN CNAME mail.example.com.\n",
        String::from_utf8(spf_head()).unwrap(),
        String::from_utf8(spf_tail()).unwrap(),
    );
    for record in 0..10 {
        snippet.push_str(&format!(
            "big    IN TXT \"{}\" \"{}\"\n",
            String::from_utf8(big_string(record, 0)).unwrap(),
            String::from_utf8(big_string(record, 1)).unwrap(),
        ));
    }
    support::wrap_zone(FORWARD, &snippet)
}

fn reverse6_zone() -> String {
    support::wrap_zone(
        REVERSE6,
        "$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.\n$TTL 3600\n\
         0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mail.example.com.\n",
    )
}

/// RFC 2317 parent: `.65` goes to the slash child, `.66` to the hyphen one.
fn parent_zone() -> String {
    support::wrap_zone(
        PARENT,
        "$ORIGIN 100.51.198.in-addr.arpa.\n$TTL 3600\n\
         10    IN PTR   mail.example.com.\n\
         64/26 IN NS    ns1.test.invalid.\n\
         64-26 IN NS    ns1.test.invalid.\n\
         65    IN CNAME 65.64/26.100.51.198.in-addr.arpa.\n\
         66    IN CNAME 66.64-26.100.51.198.in-addr.arpa.\n",
    )
}

fn child_slash_zone() -> String {
    support::wrap_zone(CHILD_SLASH, "$TTL 3600\n65 IN PTR mail2.example.com.\n")
}

fn child_hyphen_zone() -> String {
    support::wrap_zone(CHILD_HYPHEN, "$TTL 3600\n66 IN PTR mail3.example.com.\n")
}

/// Every fixture zone as `(origin, text)`.
fn all_zones() -> Vec<(&'static str, String)> {
    vec![
        (FORWARD, forward_zone()),
        (REVERSE6, reverse6_zone()),
        (PARENT, parent_zone()),
        (CHILD_SLASH, child_slash_zone()),
        (CHILD_HYPHEN, child_hyphen_zone()),
    ]
}

#[test]
fn checkzone_accepts_every_fixture_zone() {
    for (origin, zone) in all_zones() {
        support::checkzone(origin, &zone).unwrap_or_else(|e| panic!("{e}\n{zone}"));
    }
}

#[test]
fn checkzone_accepts_origins_with_or_without_the_dot() {
    support::checkzone("64/26.100.51.198.in-addr.arpa.", &child_slash_zone()).unwrap();
}

#[test]
fn checkzone_rejects_a_256_octet_string_with_both_tools() {
    let zone = support::wrap_zone(FORWARD, &format!("@ IN TXT \"{}\"\n", "a".repeat(256)));
    let error = support::checkzone(FORWARD, &zone).unwrap_err();
    assert!(
        error.contains("named-checkzone (exit status: 1)"),
        "{error}"
    );
    assert!(error.contains("nsd-checkzone (exit status: 1)"), "{error}");
    assert!(error.contains("longer than 255"), "{error}");
    // 255 is the limit, not 254
    let zone = support::wrap_zone(FORWARD, &format!("@ IN TXT \"{}\"\n", "a".repeat(255)));
    support::checkzone(FORWARD, &zone).unwrap();
}

#[test]
fn checkzone_rejects_an_out_of_range_escape() {
    let zone = support::wrap_zone(FORWARD, "@ IN TXT \"\\256\"\n");
    assert!(support::checkzone(FORWARD, &zone).is_err());
}

#[test]
fn wrap_zone_leaves_the_snippet_directives_in_force() {
    let zone = support::wrap_zone(
        "example.com.",
        "$ORIGIN example.com.\n$TTL 300\nx IN A 192.0.2.1",
    );
    assert!(zone.starts_with("$ORIGIN example.com.\n"), "{zone}");
    assert!(zone.ends_with("x IN A 192.0.2.1\n"), "{zone}");
    support::checkzone(FORWARD, &zone).unwrap();
}

#[test]
fn txt_presentation_decoding_undoes_every_escape() {
    let cases: &[(&str, &[&[u8]])] = &[
        (r#""v=spf1 -all""#, &[b"v=spf1 -all"]),
        (r#""a" "b""#, &[b"a", b"b"]),
        (r#""q\"b\\s;c\007e""#, &[b"q\"b\\s;c\x07e"]),
        (r#""\255\000\065""#, &[b"\xff\x00A"]),
        (r#""""#, &[b""]),
        ("bare run", &[b"bare", b"run"]),
    ];
    for (text, expected) in cases {
        let expected = expected.iter().map(|s| s.to_vec()).collect::<Vec<_>>();
        assert_eq!(support::parse_txt_rdata(text).unwrap(), expected, "{text}");
    }
    assert!(support::parse_txt_rdata(r#""\256""#).is_err());
    assert!(support::parse_txt_rdata(r#""open"#).is_err());
}

/// Everything the forward zone holds, queried back from `addr`.
fn check_forward(addr: SocketAddr) {
    let apex = support::query_txt(addr, "example.com");
    assert_eq!(apex, vec![vec![spf_head(), spf_tail()]]);
    assert_eq!(apex[0][0].len(), 255);
    assert_eq!(apex[0][1].len(), 45);

    let tricky = support::query_txt(addr, "tricky.example.com.");
    assert_eq!(
        tricky,
        vec![vec![b"q\"b\\s;c\x07e\xe9".to_vec(), b"two words".to_vec()]]
    );

    // the decoder agrees with the wire bytes for every TXT record
    for name in ["example.com", "tricky.example.com", "big.example.com"] {
        let wire = support::query_rdata_wire(addr, name, "TXT")
            .iter()
            .map(|rdata| support::txt_from_wire(rdata).unwrap())
            .collect::<Vec<_>>();
        let mut wire = wire;
        wire.sort();
        assert_eq!(support::query_txt(addr, name), wire, "{name}");
    }

    // ~4 KB: more than dig's 1232-octet EDNS buffer, so dig retries over TCP
    let big = support::query_txt(addr, "big.example.com");
    let expected = (0..10)
        .map(|r| vec![big_string(r, 0), big_string(r, 1)])
        .collect::<Vec<_>>();
    assert_eq!(big, expected);

    assert_eq!(
        support::query_a(addr, "mail.example.com"),
        [
            Ipv4Addr::new(198, 51, 100, 10),
            Ipv4Addr::new(198, 51, 100, 11)
        ]
    );
    assert_eq!(
        support::query_aaaa(addr, "mail.example.com"),
        ["2001:db8::10".parse::<Ipv6Addr>().unwrap()]
    );
    assert_eq!(
        support::query_cname(addr, "www.example.com").as_deref(),
        Some("mail.example.com.")
    );
    assert_eq!(support::query_cname(addr, "mail.example.com"), None);
    assert_eq!(
        support::query_rrset(addr, "example.com", "NS"),
        [support::TEST_NS]
    );

    // the snippet's $TTL applies to its records, not to the test SOA
    let response: support::Response = support::query(addr, "mail.example.com", "A");
    assert!(response.authoritative);
    assert!(
        response.answer.iter().all(|rr: &support::Rr| rr.ttl == 300),
        "{response:?}"
    );
    assert_eq!(
        support::query(addr, "example.com", "SOA").answer[0].ttl,
        3600
    );

    assert_eq!(
        support::query_rcode(addr, "mail.example.com", "MX"),
        "NOERROR"
    );
    assert!(support::query_rrset(addr, "mail.example.com", "MX").is_empty());
    assert_eq!(
        support::query_rcode(addr, "nope.example.com", "TXT"),
        "NXDOMAIN"
    );
    assert!(support::query_txt(addr, "nope.example.com").is_empty());
    assert_eq!(support::query_rcode(addr, "example.org", "TXT"), "REFUSED");
}

/// IPv6 reverse and both RFC 2317 child forms, queried back from `addr`.
fn check_reverse(addr: SocketAddr) {
    assert_eq!(
        support::query_ptr(
            addr,
            "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        ),
        ["mail.example.com."]
    );
    assert_eq!(
        support::query_ptr(addr, "10.100.51.198.in-addr.arpa"),
        ["mail.example.com."]
    );
    for (address, child, target) in [
        (65, CHILD_SLASH, "mail2.example.com."),
        (66, CHILD_HYPHEN, "mail3.example.com."),
    ] {
        let owner = format!("{address}.100.51.198.in-addr.arpa");
        let cname = support::query_cname(addr, &owner);
        assert_eq!(cname, Some(format!("{address}.{child}.")));
        // query_ptr does not follow the CNAME, whatever the server adds
        assert!(support::query_ptr(addr, &owner).is_empty());
        assert_eq!(support::query_ptr(addr, &cname.unwrap()), [target]);
    }
}

#[test]
fn nsd_serves_the_forward_zone_byte_exact() {
    let zones = all_zones();
    let nsd = Nsd::start(&zones[..1]);
    check_forward(nsd.addr());
}

#[test]
fn bind_serves_the_forward_zone_byte_exact() {
    let zones = all_zones();
    let bind = Bind::start(&zones[..1]);
    check_forward(bind.addr());
}

#[test]
fn nsd_serves_ipv6_reverse_and_classless_zones() {
    let zones = all_zones();
    let nsd = Nsd::start(&zones[1..]);
    check_reverse(nsd.addr());
}

#[test]
fn bind_serves_ipv6_reverse_and_classless_zones() {
    let zones = all_zones();
    let bind = Bind::start(&zones[1..]);
    check_reverse(bind.addr());
}

#[test]
fn classless_answers_differ_between_servers_as_measured() {
    // formats.md §5.7: NSD adds the child's PTR after the CNAME, BIND does not
    let zones = all_zones();
    let zones = &zones[2..];
    let nsd = Nsd::start(zones);
    let bind = Bind::start(zones);
    let owner = "65.100.51.198.in-addr.arpa";
    let types = |addr| {
        support::query(addr, owner, "PTR")
            .answer
            .into_iter()
            .map(|rr| rr.rtype)
            .collect::<Vec<_>>()
    };
    assert_eq!(types(nsd.addr()), ["CNAME", "PTR"]);
    assert_eq!(types(bind.addr()), ["CNAME"]);
}

#[test]
fn nsupdate_replaces_txt_and_a_on_dynamic_bind() {
    let zone = support::wrap_zone(
        "example.net",
        "$TTL 3600\n@ IN TXT \"v=spf1 -all\"\nmail2 IN A 192.0.2.1\n",
    );
    let bind = Bind::start_dynamic(&[("example.net", &zone)]);
    assert!(bind.key_file().is_file());
    let script = "zone example.net.\n\
                  update delete example.net. TXT\n\
                  update add example.net. 300 IN TXT \"v=spf1 ip4:198.51.100.10\" \" -all\"\n\
                  update delete mail2.example.net. A\n\
                  update add mail2.example.net. 300 IN A 198.51.100.11\n\
                  send\nanswer\n";
    let answer = bind.nsupdate(script).unwrap();
    assert!(answer.contains("status: NOERROR"), "{answer}");
    assert_eq!(
        support::query_txt(bind.addr(), "example.net"),
        [vec![
            b"v=spf1 ip4:198.51.100.10".to_vec(),
            b" -all".to_vec()
        ]]
    );
    assert_eq!(
        support::query_a(bind.addr(), "mail2.example.net"),
        [Ipv4Addr::new(198, 51, 100, 11)]
    );

    // the raw form needs its own server line
    let raw = format!(
        "server 127.0.0.1 {}\nzone example.net.\nupdate delete mail2.example.net. A\nsend\n",
        bind.port()
    );
    bind.nsupdate_raw(&raw).unwrap();
    assert_eq!(
        support::query_rcode(bind.addr(), "mail2.example.net", "A"),
        "NXDOMAIN"
    );

    // unsigned updates are refused and change nothing
    let unsigned = format!(
        "server 127.0.0.1 {}\nzone example.net.\nupdate delete example.net. TXT\nsend\n",
        bind.port()
    );
    let error = support::run_nsupdate(None, &unsigned).unwrap_err();
    assert!(error.contains("REFUSED"), "{error}");
    assert_eq!(support::query_txt(bind.addr(), "example.net").len(), 1);
}

#[test]
#[should_panic(expected = "without a `server` line")]
fn nsupdate_raw_refuses_a_script_without_server() {
    support::run_nsupdate(None, "zone example.net.\nsend\n").ok();
}

#[test]
#[should_panic(expected = "did not load a zone")]
fn bind_start_reports_a_zone_it_cannot_load() {
    let zone = support::wrap_zone(FORWARD, "@ IN TXT \"unterminated\n");
    Bind::start(&[(FORWARD, &zone)]);
}

#[test]
#[should_panic(expected = "did not load a zone")]
fn nsd_start_reports_a_zone_it_cannot_load() {
    let zone = support::wrap_zone(FORWARD, "@ IN TXT \"unterminated\n");
    Nsd::start(&[(FORWARD, &zone)]);
}

#[test]
fn free_port_never_repeats_within_a_process() {
    let mut ports = (0..200).map(|_| support::free_port()).collect::<Vec<_>>();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 200);
}

#[test]
fn servers_release_their_port_when_dropped() {
    let zones = all_zones();
    let zones = &zones[..1];
    let nsd = Nsd::start(zones);
    let bind = Bind::start(zones);
    let ports = [nsd.port(), bind.port()];
    assert!(nsd.log().contains("nsd started"), "{}", nsd.log());
    assert!(bind.log().contains("all zones loaded"), "{}", bind.log());
    drop(nsd);
    drop(bind);
    for port in ports {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        UdpSocket::bind(addr).unwrap_or_else(|e| panic!("UDP {port} still taken: {e}"));
        TcpListener::bind(addr).unwrap_or_else(|e| panic!("TCP {port} still taken: {e}"));
    }
}

#[test]
fn tools_are_found_or_named_with_their_package() {
    assert!(support::tool("dig").is_file());
    let missing = std::panic::catch_unwind(|| support::tool("senderzone-no-such-tool"));
    let message = *missing.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("install the Debian package"), "{message}");
}
