//! Tests of the skim: its answers, and the same answers as the serde_json
//! skim it replaced ([`super::reference`]).

use super::*;

#[test]
fn a_list_page_gives_its_items_kinds_and_payout_transactions() {
    let page = br#"{"object":"list","url":"/v1/balance_transactions?payout=po_1",
        "data":[
          {"object":"balance_transaction","id":"txn_1","type":"charge","source":"ch_1","livemode":false},
          {"object":"balance_transaction","id":"txn_2","type":"payout","source":"po_1"},
          {"object":"balance_transaction","id":"txn_3","type":"refund","source":{"id":"po_2","object":"payout"}},
          {"object":"application_fee","id":"fee_1"},
          {"object":"checkout.session","id":"cs_1","livemode":true,"metadata":{"object":"x"}}
        ],"has_more":false}"#;
    let s = skim(page, false).expect("skimmed");
    assert_eq!(
        s.kinds,
        vec![
            Some(ObjectScope::BalanceTransactions),
            Some(ObjectScope::BalanceTransactions),
            Some(ObjectScope::BalanceTransactions),
            Some(ObjectScope::Payments),
        ]
    );
    assert!(s.livemode);
    assert_eq!(s.payout_bts.get("po_1"), Some(&vec!["txn_1".to_string()]));
    assert_eq!(s.payout_bts.get("po_2"), Some(&vec!["txn_3".to_string()]));
}

#[test]
fn the_items_creation_and_payment_times_are_kept() {
    // Items only: a list's own `created` and a nested object's do not count;
    // a time that is not an integer is no time; a later duplicate wins.
    let page = br#"{"object":"list","created":1,"data":[
          {"object":"charge","id":"ch_2","created":1700000300,"outcome":{"created":5}},
          {"object":"charge","id":"ch_1","created":1700000100},
          {"object":"charge","id":"ch_3","created":"soon"},
          {"object":"charge","id":"ch_4","created":1.5e9},
          {"object":"charge","id":"ch_5","created":9,"created":1700000200},
          {"object":"application_fee","id":"fee_1","created":7}
        ]}"#;
    let t = same_as_reference(page, false).expect("skimmed").3;
    assert_eq!(
        (t.first, t.last),
        (Some(1_700_000_100), Some(1_700_000_300))
    );
    // An invoice's `status_transitions.paid_at` is its payment time: the
    // last time, not the first.
    let invoices = br#"[
          {"object":"invoice","id":"in_1","created":100,
           "status_transitions":{"finalized_at":101,"paid_at":900,"x":[1,{"y":"z"}]}},
          {"object":"invoice","id":"in_2","status_transitions":null,"created":200},
          {"object":"invoice","id":"in_3","created":300,"status_transitions":{"paid_at":null}}
        ]"#;
    let t = same_as_reference(invoices, false).expect("skimmed").3;
    assert_eq!((t.first, t.last), (Some(100), Some(900)));
    // Other items' `paid_at` (an invoice payment has one) places nothing,
    // as for records: only an invoice's payment time is read.
    let payments = br#"[
          {"object":"invoice_payment","id":"inpay_1","created":100,
           "status_transitions":{"paid_at":900}}
        ]"#;
    let t = same_as_reference(payments, false).expect("skimmed").3;
    assert_eq!((t.first, t.last), (Some(100), Some(100)));
    let lines = b"{\"object\":\"invoice\",\"id\":\"in_1\",\"created\":-5}\n{\"object\":\"invoice\",\"id\":\"in_2\",\"created\":12}\n";
    let t = same_as_reference(lines, true).expect("skimmed").3;
    assert_eq!((t.first, t.last), (Some(-5), Some(12)));
    let none = br#"{"object":"customer","id":"cus_1"}"#;
    assert_eq!(
        same_as_reference(none, false).expect("skimmed").3,
        Times::default()
    );
    // A time's text must be UTF-8 (as serde_json's `RawValue` requires),
    // where an ignored field's need not be.
    let mut bad = br#"{"object":"customer","id":"cus_1","created":"x"}"#.to_vec();
    let x = bad.iter().position(|b| *b == b'x').unwrap();
    bad[x] = 0xff;
    assert!(same_as_reference(&bad, false).is_none());
    bad[x - 10..x - 3].copy_from_slice(b"ignored");
    assert!(same_as_reference(&bad, false).is_some());
    // `status_transitions` is null or an object; anything else is declined.
    for other in [r#""paid""#, "[1]", "3", "true"] {
        let item = format!(r#"{{"object":"invoice","id":"in_1","status_transitions":{other}}}"#);
        assert!(
            same_as_reference(item.as_bytes(), false).is_none(),
            "{other}"
        );
    }
}

#[test]
fn files_are_skimmed_on_threads_and_handed_over_in_path_order() {
    let dir = tempfile::tempdir().unwrap();
    // More files than a chunk, so chunks and shares both split; every
    // seventh file is one the skim declines, one path does not exist.
    let n = SKIM_CHUNK + 37;
    let mut paths = Vec::new();
    for i in 0..n {
        let path = dir.path().join(format!("{i:04}.json"));
        let text = if i % 7 == 3 {
            format!(r#"{{"object":"event","id":"evt_{i}"}}"#)
        } else {
            let items = (0..=i % 3)
                .map(|k| format!(r#"{{"object":"customer","id":"cus_{i}_{k}"}}"#))
                .collect::<Vec<_>>()
                .join(",");
            format!(r#"{{"object":"list","data":[{items}]}}"#)
        };
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    paths.insert(5, dir.path().join("missing.json"));
    let mut seen = Vec::new();
    skim_files(paths.clone(), |path, skimmed| {
        seen.push((path, skimmed.map(|s| s.kinds.len())));
    });
    let expected: Vec<(PathBuf, Option<usize>)> = paths
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_str().unwrap();
            let kinds = name
                .parse::<usize>()
                .ok()
                .and_then(|i| (i % 7 != 3).then_some(i % 3 + 1));
            (p.clone(), kinds)
        })
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn what_the_full_read_must_see_is_declined() {
    for text in [
        &br#"{"object":"event","id":"evt_1","data":{"object":{"object":"customer","id":"cus_1"}}}"#
            [..],
        br#"{"object":"balance","available":[]}"#,
        br#"{"error":{"type":"invalid_request_error"}}"#,
        br#"{"id":"cus_1"}"#,
        br#"[1, 2]"#,
        br#"{"object":"list","data":[{"object":"customer""#,
        br#"{"object":"list","data":{"object":"customer"}}"#,
    ] {
        assert!(
            skim(text, false).is_none(),
            "{}",
            String::from_utf8_lossy(text)
        );
    }
    let lines =
        b"{\"object\":\"customer\",\"id\":\"cus_1\"}\n\n{\"object\":\"invoice\",\"id\":\"in_1\"}\n";
    let s = skim(lines, true).expect("skimmed");
    assert_eq!(
        s.kinds,
        vec![Some(ObjectScope::Customers), Some(ObjectScope::Invoices)]
    );
    assert!(skim(b"{\"object\":\"customer\"}\nnot json\n", true).is_none());
}

/// A skim's answer, comparable: kinds, livemode, payout transactions.
type Answer = Option<(
    Vec<Option<ObjectScope>>,
    bool,
    BTreeMap<String, Vec<String>>,
    Times,
)>;

/// `skimmed` as an [`Answer`].
fn answer(skimmed: Option<Skimmed>) -> Answer {
    skimmed.map(|s| (s.kinds, s.livemode, s.payout_bts, s.times))
}

/// The scanner's answer on `bytes` (as `.jsonl` when `lines`), after
/// checking it is the reference's.
fn same_as_reference(bytes: &[u8], lines: bool) -> Answer {
    let new = answer(skim(bytes, lines));
    let old = answer(reference::skim(bytes, lines));
    assert_eq!(
        new,
        old,
        "lines: {lines}, input: {:?}",
        String::from_utf8_lossy(bytes)
    );
    new
}

/// Checks the scanner and the reference agree on `bytes`, as `.json` and as
/// `.jsonl`; whether the `.json` skim accepted it.
fn same(bytes: &[u8]) -> bool {
    same_as_reference(bytes, true);
    same_as_reference(bytes, false).is_some()
}

/// Values, valid and not, to put where the skim reads, visits or ignores.
fn edge_values() -> Vec<Vec<u8>> {
    let mut values: Vec<Vec<u8>> = [
        // Numbers.
        &b"0"[..],
        b"-0",
        b"01",
        b"-01",
        b"00",
        b"-",
        b"-a",
        b"1.",
        b".5",
        b"1.5",
        b"-1.5e-3",
        b"1e5",
        b"1E+5",
        b"1e",
        b"1e+",
        b"1.e5",
        b"+1",
        b"0x10",
        b"1e999",
        b"-1e999",
        b"2e308",
        b"1.7976931348623157e308",
        b"1.7976931348623159e308",
        b"123456789012345678901234567890",
        b"18446744073709551616",
        b"-9223372036854775809",
        b"Infinity",
        b"NaN",
        // Literals.
        b"true",
        b"false",
        b"null",
        b"nul",
        b"nulll",
        b"tru",
        b"True",
        b"t",
        b"n",
        // Strings.
        b"\"a\"",
        b"\"\"",
        b"\"po_1\"",
        b"\"payout\"",
        b"\"\\u00e9\"",
        b"\"\\u00E9\"",
        b"\"\\uD83D\\uDE00\"",
        b"\"\\uD83D\"",
        b"\"\\uDE00\"",
        b"\"\\uD83Dx\"",
        b"\"\\uD83D\\n\"",
        b"\"\\uD83D\\uD83D\"",
        b"\"\\uD83D\\u0041\"",
        b"\"\\uD83D\\",
        b"\"\\u12\"",
        b"\"\\u12G4\"",
        b"\"\\u",
        b"\"\\x\"",
        b"\"\\'\"",
        b"\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"",
        b"\"a\tb\"",
        b"\"a\x01\"",
        b"\"a\x1f\"",
        b"\"a\x7f\"",
        b"\"\xc3\xa9\"",
        b"\"\xff\"",
        b"\"\xc3\"",
        b"\"\xc3\x28\"",
        b"\"\xed\xa0\x80\"",
        b"\"\xf4\x90\x80\x80\"",
        b"\"\xc0\xaf\"",
        b"\"\xc3\\n\"",
        b"\"\xe2\x82\"",
        b"\"abc",
        b"\"\\",
        b"\"",
        // Containers.
        b"{}",
        b"[]",
        b"[1]",
        b"[1,]",
        b"[,1]",
        b"[1 2]",
        b"[[]",
        b"[}",
        b"{]",
        b"{,}",
        b"{\"a\":1,}",
        b"{\"a\"}",
        b"{\"a\":}",
        b"{a:1}",
        b"{1:1}",
        b"{\"a\" 1}",
        b"{\"a\":1 \"b\":2}",
        b"{\"a\":1,\"a\":2}",
        b"{\"k\xff\":1}",
        b"{\"\\uD800\":1}",
        b"{\"id\":\"po_3\"}",
        b"{\"id\":5}",
        b"{\"id\":null,\"id\":\"po_4\"}",
        b"{\"id\":\"po_4\",\"id\":null}",
        b"{\"id\":\"\\u0070o_5\"}",
        b"{\"\\u0069d\":\"po_6\"}",
        b"[{\"object\":\"customer\"}]",
        b"{\"object\":\"customer\"}",
        b"{\"object\":\"list\",\"data\":[]}",
        // Whitespace around a value.
        b" \t\r\n1 ",
        b"\x0c1",
        b"1\x0c",
    ]
    .iter()
    .map(|v| v.to_vec())
    .collect();
    // Deep ignored values: no limit.
    values.push(nested(b"[", b"]", 5000));
    values.push(nested(b"{\"a\":", b"}", 5000));
    values
}

/// `n` `open`s, `1`, `n` `close`s.
fn nested(open: &[u8], close: &[u8], n: usize) -> Vec<u8> {
    let mut out = open.repeat(n);
    out.push(b'1');
    out.extend(close.repeat(n));
    out
}

/// `{template}` with each `$` replaced by `value`.
fn fill(template: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, part) in template.split('$').enumerate() {
        if i > 0 {
            out.extend_from_slice(value);
        }
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Where an edge value goes: ignored, read, visited, top-level, keys.
const CONTEXTS: &[&str] = &[
    // Ignored.
    r#"{"object":"list","data":[{"object":"customer","id":"cus_1","metadata":$}]}"#,
    r#"{"object":"list","data":[{"object":"customer","metadata":{"a":[$]}}],"has_more":$}"#,
    r#"{"object":"list","data":[],"error":$}"#,
    r#"{"object":"list","data":[{"object":"balance_transaction","id":"t","source":{"id":"po_1","x":$}}]}"#,
    r#"{"object":"list","data":[{"object":"customer","metadata":{$:1}}]}"#,
    // Read.
    r#"{"object":"list","data":[{"object":$,"id":"x"}]}"#,
    r#"{"object":"list","data":[{"object":"customer","id":$}]}"#,
    r#"{"object":"list","data":[{"object":"balance_transaction","id":"t","type":$,"source":"po_1"}]}"#,
    r#"{"object":"list","url":$,"data":[{"object":"balance_transaction","id":"t"}]}"#,
    r#"{"object":"list","data":[{"object":"customer","livemode":$}]}"#,
    r#"{"object":"list","url":"/v1/x?payout=po_9","data":[{"object":"balance_transaction","id":"t","source":$}]}"#,
    r#"{"object":"list","data":[{"object":"balance_transaction","id":"t","source":{"id":$}}]}"#,
    r#"{"object":"list","data":[{"object":"customer",$:1}]}"#,
    r#"{$:"list","data":[]}"#,
    // Visited, not walked.
    r#"{"object":"customer","data":$}"#,
    r#"{"object":"customer","data":[$]}"#,
    r#"{"object":"unknown_thing","data":{"x":[$]}}"#,
    // Walked.
    r#"{"object":"list","data":$}"#,
    r#"{"object":"list","data":[$]}"#,
    r#"[$]"#,
    // Top level.
    "$",
    "$ $",
    "{}$",
    "{} $",
    "$\n$",
    "[]\n$\n",
];

#[test]
fn edge_values_everywhere_give_the_references_answers() {
    let mut accepted = 0;
    let mut declined = 0;
    for value in edge_values() {
        for context in CONTEXTS {
            if same(&fill(context, &value)) {
                accepted += 1;
            } else {
                declined += 1;
            }
        }
    }
    // Both answers are common: the comparison is not vacuous.
    assert!(accepted > 300 && declined > 300, "{accepted} {declined}");
}

#[test]
fn whole_files_give_the_references_answers() {
    let bt = |id: &str, source: &str| {
        format!(
            r#"{{"object":"balance_transaction","id":"{id}","type":"charge","source":{source}}}"#
        )
    };
    let list = |url: &str, items: &[String]| {
        format!(
            r#"{{"object":"list","url":{url},"data":[{}]}}"#,
            items.join(",")
        )
    };
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b" \n\t\r ".to_vec(),
        b"\x0c".to_vec(),
        b"\n\n".to_vec(),
        b"\xef\xbb\xbf{\"object\":\"customer\"}".to_vec(),
        b"{\"object\":\"customer\"}{\"object\":\"invoice\",\"livemode\":true}".to_vec(),
        b"{\"object\":\"customer\"} \n [{\"object\":\"invoice\"}] []".to_vec(),
        b"{\"object\":\"customer\"}\r\n{\"object\":\"invoice\"}\r\n".to_vec(),
        b"{\"object\":\"customer\"} {\"object\":\"invoice\"}\n".to_vec(),
        b"{\"object\":\"customer\"}x".to_vec(),
        b"{\"object\":\"customer\"},".to_vec(),
        b"{\"object\":\"customer\"}}".to_vec(),
        b"{\"object\":\"customer\"".to_vec(),
        b"{\"object\":\"customer\"}\n\x0c\n".to_vec(),
        b"{\"object\":\"customer\"}\n \x0c{\"object\":\"customer\"}\n".to_vec(),
        // Duplicates: the last wins.
        br#"{"object":"list","object":"customer"}"#.to_vec(),
        br#"{"object":"customer","object":"list","data":[]}"#.to_vec(),
        br#"{"object":"list","data":[5],"data":[{"object":"customer"}]}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"customer"}],"data":5}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"customer"}],"data":[]}"#.to_vec(),
        br#"{"object":"customer","livemode":true,"livemode":null}"#.to_vec(),
        br#"{"object":"customer","livemode":null,"livemode":true}"#.to_vec(),
        br#"{"object":"customer","error":null,"error":null}"#.to_vec(),
        br#"{"object":"customer","object":null}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"balance_transaction","id":"t","source":"po_1","source":"ch_1"}]}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"balance_transaction","id":"t","source":"ch_1","source":"po_1"}]}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"balance_transaction","id":"t","source":"po_1","type":"payout","type":"charge"}]}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"balance_transaction","id":"t","source":"po_1","id":null}]}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"list","data":[{"object":"event"}]}],"object":"customer"}"#.to_vec(),
        br#"{"object":"customer","data":[{"object":"event"},{"error":1},5,"x",[{"id":1}]]}"#.to_vec(),
        br#"{"object":"customer","data":[{"object":"customer","id":1}]}"#.to_vec(),
        br#"{"object":"unknown","data":{"object":"balance_transaction","id":"t","source":"po_1"}}"#.to_vec(),
        br#"{"object":"search_result","url":"/v1/x?payout=po_1","data":[[{"object":"balance_transaction","id":"t"}]]}"#.to_vec(),
        br#"[{"object":"event"}]"#.to_vec(),
        br#"[{"object":"customer"},[{"object":"invoice"}],[]]"#.to_vec(),
        br#"{"object":"balance"}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"balance","id":"x"}]}"#.to_vec(),
        // Payouts: own, the list's, an enclosing list's.
        list(r#""/v1/balance_transactions?payout=po_1&limit=3""#, &[
            bt("txn_1", "null"),
            bt("txn_2", r#""po_2""#),
            bt("txn_3", r#"{"id":"po_3","object":"payout"}"#),
            bt("txn_4", r#"{"id":"ch_4"}"#),
            bt("txn_5", r#""ch_5""#),
        ])
        .into_bytes(),
        list(r#""/v1/balance_transactions?payout=po_1""#, &[list("null", &[bt("txn_1", "null")])]).into_bytes(),
        list("null", &[list(r#""/v1/x?payout=po_2""#, &[bt("txn_1", "null")]), bt("txn_2", "null")]).into_bytes(),
        list(r#""/v1/x?payout=""#, &[bt("txn_1", "null")]).into_bytes(),
        list(r#""\/v1\/x?payout=po_\u0031""#, &[bt("txn_\u{e9}", "null")]).into_bytes(),
        list(r#""/v1/x?payout=po_1""#, &[bt("txn_1", "null"), bt("txn_1", "null")]).into_bytes(),
    ];
    let mut accepted = 0;
    for case in &cases {
        accepted += usize::from(same(case));
    }
    assert!(accepted > 20, "{accepted}");
}

#[test]
fn nesting_is_limited_where_serde_json_limits_it() {
    for n in 120..=130 {
        let arrays = nested(b"[", b"]", n);
        // Visited: the limit applies.
        let data = [&b"{\"object\":\"list\",\"data\":"[..], &arrays, b"}"].concat();
        same(&data);
        same(&[&b"{\"object\":\"customer\",\"data\":"[..], &arrays, b"}"].concat());
        same(&arrays);
        same(&[&b"["[..], &nested(b"{\"data\":", b"}", n), b"]"].concat());
        // Lists in lists, the innermost holding an expanded source.
        let mut lists =
            br#"{"object":"balance_transaction","id":"t","source":{"id":"po_1"}}"#.to_vec();
        for _ in 0..n / 2 {
            lists = [&br#"{"object":"list","data":["#[..], &lists, b"]}"].concat();
        }
        same(&lists);
        // Ignored: no limit.
        same(
            &[
                &b"{\"object\":\"customer\",\"metadata\":"[..],
                &arrays,
                b"}",
            ]
            .concat(),
        );
    }
    // Ignored, arrays and objects mixed 200 deep: closed right, and closed
    // with the wrong bracket at one depth or another.
    let opens: Vec<&[u8]> = (0..200)
        .map(|k| if k % 3 == 0 { &b"["[..] } else { b"{\"a\": " })
        .collect();
    let closes: Vec<&[u8]> = opens
        .iter()
        .rev()
        .map(|o| if o == b"[" { &b"]"[..] } else { b"}" })
        .collect();
    for wrong in [
        None,
        Some(0),
        Some(10),
        Some(63),
        Some(64),
        Some(65),
        Some(130),
        Some(199),
    ] {
        let mut closes = closes.clone();
        if let Some(k) = wrong {
            closes[k] = if closes[k] == b"]" { b"}" } else { b"]" };
        }
        let value = [opens.concat(), b"1".to_vec(), closes.concat()].concat();
        let text = fill(CONTEXTS[0], &value);
        assert_eq!(same(&text), wrong.is_none());
    }
    // Empty arrays in arrays: accepted up to 127 deep.
    let empty = |n: usize| {
        let text = [b"[".repeat(n), b"]".repeat(n)].concat();
        skim(&text, false).is_some()
    };
    assert!(empty(1) && empty(127) && !empty(128) && !empty(129));
}

mod generated {
    //! Random list pages, then random byte mutations of them: the scanner
    //! answers as the reference does.

    use super::*;
    use proptest::prelude::*;
    use proptest::sample::{Index, select};

    /// A JSON string literal, tricky ones included.
    fn string() -> impl Strategy<Value = String> {
        select(vec![
            r#""""#,
            r#""po_1""#,
            r#""po_2""#,
            r#""ch_1""#,
            r#""txn_1""#,
            r#""payout""#,
            r#""charge""#,
            r#""/v1/balance_transactions?payout=po_7""#,
            r#""caf\u00e9""#,
            "\"caf\u{e9}\"",
            r#""\ud83d\ude00""#,
            r#""a\nb\"c\\d\/""#,
        ])
        .prop_map(String::from)
    }

    /// A scalar JSON value.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            select(vec!["null", "true", "false", "0", "-0.5", "1e3", "1.25E-2"])
                .prop_map(String::from),
            any::<i64>().prop_map(|n| n.to_string()),
            string(),
        ]
    }

    /// A key, sometimes one the skim reads.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            9 => select(vec!["metadata", "amount", "x", "created", "paid_at", "caf\\u00e9", "\u{e9}"]),
            1 => select(vec!["object", "id", "type", "source", "url", "livemode", "data", "status_transitions", "\\u006fbject"]),
        ]
        .prop_map(|k| format!("\"{k}\""))
    }

    /// Any JSON value, a few levels deep.
    fn value() -> impl Strategy<Value = String> {
        scalar().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((key(), inner), 0..4).prop_map(|kv| object(&kv)),
            ]
        })
    }

    /// An object of `members`.
    fn object(members: &[(String, String)]) -> String {
        let members: Vec<String> = members.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("{{{}}}", members.join(", "))
    }

    /// An item: its `object`, usually a supported type, and fields the skim
    /// reads, plus others; shuffled, some repeated.
    fn item() -> impl Strategy<Value = String> {
        let object = prop_oneof![
            20 => select(vec![
                "\"balance_transaction\"", "\"balance_transaction\"", "\"customer\"", "\"charge\"",
                "\"balance_transaction\"", "\"customer\"", "\"charge\"", "\"invoice\"",
                "\"checkout.session\"", "\"application_fee\"", "\"event\"", "\"balance\"",
            ]).prop_map(String::from),
            1 => scalar(),
        ];
        let id = prop_oneof![20 => string(), 1 => scalar()];
        let kind = prop_oneof![20 => select(vec!["\"charge\"", "\"payout\"", "\"payout_cancel\"", "null"]).prop_map(String::from), 1 => scalar()];
        let source = prop_oneof![
            10 => string(),
            10 => (string(), value()).prop_map(|(id, x)| format!(r#"{{"id": {id}, "object": "payout", "x": {x}}}"#)),
            1 => value(),
        ];
        let livemode = prop_oneof![20 => select(vec!["true", "false", "null"]).prop_map(String::from), 1 => scalar()];
        let created = prop_oneof![
            20 => (1_000_000_000i64..2_000_000_000).prop_map(|t| t.to_string()),
            2 => scalar(),
            1 => value(),
        ];
        let transitions = prop_oneof![
            10 => (created.clone(), value()).prop_map(|(paid, x)| format!(r#"{{"paid_at": {paid}, "finalized_at": {x}}}"#)),
            5 => Just("null".to_string()),
            1 => value(),
        ];
        let extras = prop::collection::vec((key(), value()), 0..4);
        (
            object,
            id,
            kind,
            source,
            livemode,
            created,
            transitions,
            extras,
            any::<u64>(),
        )
            .prop_map(
                |(object, id, kind, source, livemode, created, transitions, extras, shuffle)| {
                    let mut members = vec![
                        ("\"object\"".to_string(), object),
                        ("\"id\"".to_string(), id),
                        ("\"type\"".to_string(), kind),
                        ("\"source\"".to_string(), source),
                        ("\"livemode\"".to_string(), livemode),
                        ("\"created\"".to_string(), created),
                        ("\"status_transitions\"".to_string(), transitions),
                    ];
                    members.extend(extras);
                    // A cheap shuffle, and sometimes a field left out.
                    let n = members.len();
                    for i in 0..n {
                        members.swap(i, (shuffle >> (i * 4)) as usize % n);
                    }
                    if shuffle % 5 == 0 {
                        members.pop();
                    }
                    object_of(members)
                },
            )
    }

    /// [`object`] of owned members.
    fn object_of(members: Vec<(String, String)>) -> String {
        object(&members)
    }

    /// A list page of items (some of them pages in turn).
    fn page() -> impl Strategy<Value = String> {
        item().prop_recursive(2, 16, 4, |inner| {
            let url = select(vec![
                "\"/v1/balance_transactions?payout=po_1\"",
                "\"/v1/charges\"",
                "null",
                "\"/v1/x?payout=po_2&limit=10\"",
            ]);
            let kind = select(vec!["\"list\"", "\"list\"", "\"search_result\""]);
            (kind, url, prop::collection::vec(inner, 0..5), value()).prop_map(|(kind, url, items, extra)| {
                format!(
                    r#"{{"object": {kind}, "url": {url}, "has_more": false, "data": [{}], "extra": {extra}}}"#,
                    items.join(", ")
                )
            })
        })
    }

    /// A file: pages one after another.
    fn file() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            (page(), select(vec!["", " ", "\n", "\n\n", "\r\n", "\t"])),
            1..3,
        )
        .prop_map(|pages| {
            pages
                .into_iter()
                .flat_map(|(p, sep)| [p, sep.to_string()])
                .collect::<String>()
                .into_bytes()
        })
    }

    /// One change to a file's bytes.
    #[derive(Debug, Clone)]
    enum Mutation {
        /// The byte at an index replaced.
        Replace(Index, u8),
        /// A byte inserted at an index.
        Insert(Index, u8),
        /// The byte at an index removed.
        Remove(Index),
        /// Everything from an index on removed.
        Truncate(Index),
    }

    /// Bytes that matter to JSON (and some that break it).
    fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            3 => select(b"\"\\{}[],: \n0123456789-+.eEnultrfasbux/".to_vec()),
            1 => select(vec![0x00, 0x01, 0x0c, 0x1f, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xed, 0xf0, 0xff]),
            1 => any::<u8>(),
        ]
    }

    /// A [`Mutation`].
    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            4 => (any::<Index>(), byte()).prop_map(|(i, b)| Mutation::Replace(i, b)),
            2 => (any::<Index>(), byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
            2 => any::<Index>().prop_map(Mutation::Remove),
            1 => any::<Index>().prop_map(Mutation::Truncate),
        ]
    }

    /// `bytes` with `m` applied.
    fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
        if bytes.is_empty() {
            return;
        }
        match m {
            Mutation::Replace(i, b) => {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
            Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
            Mutation::Remove(i) => {
                bytes.remove(i.index(bytes.len()));
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn mutated_pages_give_the_references_answers(
            file in file(),
            mutations in prop::collection::vec(mutation(), 0..4),
        ) {
            let mut bytes = file;
            for m in &mutations {
                apply(&mut bytes, m);
            }
            same(&bytes);
        }

        #[test]
        fn generated_pages_give_the_references_answers(file in file()) {
            same(&file);
        }
    }
}
