//! `spf eval` and `spf check` stay bounded against hostile DNS and input:
//! one time limit for the whole check, a capped explanation, a sender
//! within RFC 5321's limits, and `/0`-style terms judged like `+all`.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{Name, RData, Record};

use crate::support::{run, text};

/// A name server on 127.0.0.1 that answers every query just under the
/// client's per-try timeout (2 s) with a CNAME to a name never seen
/// before, so that each query turns into a chain of slow hops.
fn slow_cname_server() -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut hop = 0u64;
        let mut buf = [0u8; 4096];
        loop {
            let Ok((len, from)) = socket.recv_from(&mut buf) else {
                return;
            };
            let Ok(query) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            hop += 1;
            let socket = socket.try_clone().unwrap();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(1800));
                let mut response = Message::response(query.metadata.id, OpCode::Query);
                response.metadata.recursion_desired = true;
                response.metadata.recursion_available = true;
                response.metadata.response_code = ResponseCode::NoError;
                if let Some(question) = query.queries.first() {
                    response.add_query(question.clone());
                    let target = Name::from_ascii(format!("hop{hop}.slow.test.")).unwrap();
                    response.add_answer(Record::from_rdata(
                        question.name().clone(),
                        60,
                        RData::CNAME(CNAME(target)),
                    ));
                }
                let _ = socket.send_to(&response.to_vec().unwrap(), from);
            });
        }
    });
    addr
}

/// RFC 7208 §4.6.4: the whole check is bounded; past the limit the result
/// is temperror and names the queries still unanswered. Without the limit
/// such a server kept one `spf eval` running for over 15 minutes.
#[test]
fn a_slow_server_cannot_stretch_a_check_past_its_timeout() {
    let server = slow_cname_server();
    let started = Instant::now();
    let output = run(&[
        "spf",
        "eval",
        "--domain",
        "example.test",
        "--ip",
        "192.0.2.1",
        "--nameserver",
        &server,
        "--timeout",
        "3",
    ]);
    let elapsed = started.elapsed();
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(3), "{shown}");
    assert!(shown.starts_with("result: temperror\n"), "{shown}");
    assert!(
        shown.contains("the check did not finish within 3 s (RFC 7208 §4.6.4); still waiting for TXT `example.test`"),
        "{shown}"
    );
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");

    let started = Instant::now();
    let output = run(&[
        "spf",
        "check",
        "--domain",
        "example.test",
        "--nameserver",
        &server,
        "--timeout",
        "3",
    ]);
    let elapsed = started.elapsed();
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(3), "{shown}");
    assert!(
        shown.contains("error [spf-dns-error] example.test: could not determine the whole tree: the check did not finish within 3 s; still waiting for TXT `example.test`"),
        "{shown}"
    );
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
}

#[test]
fn the_timeout_is_twenty_seconds_unless_given_and_never_zero() {
    let output = run(&["spf", "eval", "--help"]);
    assert!(text(&output).contains("[default: 20]"), "{}", text(&output));
    for value in ["0", "18446744073709551"] {
        let output = run(&[
            "spf",
            "eval",
            "--domain",
            "example.test",
            "--ip",
            "192.0.2.1",
            "--timeout",
            value,
        ]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    }
}

/// An `exp=` TXT of 250 strings of 62 `%{s}` each, expanded for the longest
/// sender RFC 5321 allows, stops at the documented cap (499 octets, one
/// SMTP reply line) and falls back to the default explanation. It once
/// wrote 1.86 GB for a 60,000-character sender, which is now refused.
#[test]
fn explanations_are_capped_and_senders_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let strings: Vec<String> = (0..250)
        .map(|_| format!("\"{}\"", "%{s}".repeat(62)))
        .collect();
    let zone = format!(
        "$ORIGIN big.test.\n$TTL 300\n@ IN TXT \"v=spf1 -all exp=why.big.test\"\nwhy IN TXT {}\n",
        strings.join(" ")
    );
    let path = dir.path().join("big.zone");
    std::fs::write(&path, zone).unwrap();
    let zone_file = path.to_str().unwrap();
    let sender = format!(
        "{}@{}.big.test",
        "l".repeat(64),
        vec!["d".repeat(60); 4].join(".")
    );
    let started = Instant::now();
    let output = run(&[
        "spf",
        "eval",
        "--domain",
        "big.test",
        "--ip",
        "192.0.2.1",
        "--sender",
        &sender,
        "--zone-file",
        zone_file,
        "--offline",
    ]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(output.stdout.len() < 4096, "{} octets", output.stdout.len());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        shown.contains(
            "explanation: 192.0.2.1 is not authorized to send mail for big.test by its SPF record"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("the explanation at `why.big.test` expands to more than 499 octets, the room in one SMTP reply line: dropped"),
        "{shown}"
    );

    let huge = format!("{}@big.test", "x".repeat(60_000));
    let long_domain = format!("a@{}.test", "d".repeat(300));
    for sender in [huge.as_str(), long_domain.as_str()] {
        let output = run(&[
            "spf",
            "eval",
            "--domain",
            "big.test",
            "--ip",
            "192.0.2.1",
            "--sender",
            sender,
            "--zone-file",
            zone_file,
            "--offline",
        ]);
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(2), "{shown}");
        assert!(
            shown.contains("RFC 5321 allows at most 64 and 255"),
            "{shown}"
        );
        assert!(output.stdout.is_empty());
    }
}

/// A passing term that spans more than any one network holds is judged
/// like `+all`; a /8 (one organisation's legacy block) stays a warning.
#[test]
fn zero_prefixes_are_as_permissive_as_plus_all() {
    for record in [
        "v=spf1 ip4:0.0.0.0/0 -all",
        "v=spf1 ip6:::/0 -all",
        "v=spf1 +ip4:128.0.0.0/1 -all",
        "v=spf1 ip6:2000::/3 -all",
        "v=spf1 a/0 -all",
        "v=spf1 mx//0 -all",
    ] {
        let output = run(&["spf", "check", record]);
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(1), "{record}: {shown}");
        assert!(
            shown.contains("error [spf-too-permissive] column 8:") && shown.contains("like `+all`"),
            "{record}: {shown}"
        );
    }
    for record in [
        "v=spf1 ip4:17.0.0.0/8 -all",
        "v=spf1 -ip4:0.0.0.0/0 ~all",
        "v=spf1 ?ip6:::/0 -all",
    ] {
        let output = run(&["spf", "check", record]);
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(0), "{record}: {shown}");
        assert!(!shown.contains("spf-too-permissive"), "{record}: {shown}");
    }
}
