//! The lean parse (`map::lean_value`) changes nothing the reader produces:
//! every fixture of the repository, and malformed input, read both ways
//! (full `Value`s, lean values) gives the same items, failures included.

use super::*;

/// What a reader produced from one file.
#[derive(Debug, PartialEq)]
struct Read {
    items: Vec<SourceItem>,
    balances: Vec<ReportedBalance>,
    first_event_account: Option<String>,
}

/// Reads `path`'s bytes with the API version `version` assumed: as the
/// reader does (`lean`), or as it did before lean parsing, through full
/// `Value`s from the bytes.
fn read_with(path: &Path, bytes: &[u8], version: Option<&str>, lean: bool) -> Read {
    let mut r = Reader::new(Some("acct_test"));
    r.ctx = r.ctx.clone().with_api_version(version);
    let items = if lean {
        r.read_bytes(path, Ok(bytes.to_vec()))
    } else {
        reference(&mut r, path, bytes)
    };
    Read {
        items,
        balances: r.balances.into_values().collect(),
        first_event_account: r.first_event_account,
    }
}

/// `Reader::read_bytes` as it was before lean parsing: every value a full
/// `Value`, parsed from the bytes.
fn reference(r: &mut Reader, path: &Path, bytes: &[u8]) -> Vec<SourceItem> {
    let name = path.display().to_string();
    let mut out = Vec::new();
    r.file_time = fs::metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    if path.extension().and_then(|e| e.to_str()) == Some("jsonl") {
        for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let at = format!("{name}:{}", n + 1);
            match serde_json::from_slice::<Value>(line) {
                Ok(v) => r.value(v, &at, &mut out),
                Err(e) => out.push(file_failure(&at, format!("invalid JSON: {e}"))),
            }
        }
    } else {
        for v in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
            match v {
                Ok(v) => r.value(v, &name, &mut out),
                Err(e) => {
                    out.push(file_failure(&name, format!("invalid JSON: {e}")));
                    break;
                }
            }
        }
    }
    out
}

/// Asserts both parses read `path` (holding `bytes`) the same, under no
/// API version and under one of each shape; returns the full read.
fn same_both_ways(path: &Path, bytes: &[u8]) -> Read {
    let mut first = None;
    for version in [None, Some("2024-06-20"), Some("2025-03-31.basil")] {
        let full = read_with(path, bytes, version, false);
        let lean = read_with(path, bytes, version, true);
        // Debug text too: `Decimal` equality ignores the scale, its text does not.
        assert_eq!(
            format!("{full:#?}"),
            format!("{lean:#?}"),
            "{} at {version:?}",
            path.display()
        );
        assert_eq!(full, lean, "{} at {version:?}", path.display());
        first.get_or_insert(full);
    }
    first.unwrap_or(Read {
        items: Vec::new(),
        balances: Vec::new(),
        first_event_account: None,
    })
}

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    for dir in [
        "../examples/data",
        "../tests/fixtures",
        "../tests/vectors",
        "tests/fixtures",
    ] {
        walk(&root.join(dir), &mut paths, &mut errors);
    }
    assert!(errors.is_empty(), "{errors:?}");
    paths.sort();
    paths
}

#[test]
fn every_fixture_maps_the_same_from_a_lean_parse() {
    let paths = fixture_files();
    assert!(paths.len() > 60, "fixtures found: {}", paths.len());
    let (mut records, mut failures, mut balances) = (0, 0, 0);
    for path in &paths {
        let bytes = fs::read(path).unwrap();
        let read = same_both_ways(path, &bytes);
        for item in &read.items {
            match item {
                SourceItem::Record(_) => records += 1,
                SourceItem::Failed(_) => failures += 1,
            }
        }
        balances += read.balances.len();
    }
    // The fixtures hold records of every kind, some failures (placeholder
    // currencies of the OpenAPI examples) and a balance.
    assert!(records > 150, "{records} records");
    assert!(failures > 0, "{failures} failures");
    assert!(balances > 0, "{balances} balances");
}

/// Whether `lean` is `full` with keys left out of objects (none under
/// `metadata` or `status_transitions`), everything else equal.
fn pruned_from(lean: &Value, full: &Value) -> bool {
    match (lean, full) {
        (Value::Object(l), Value::Object(f)) => l.iter().all(|(k, v)| match f.get(k) {
            Some(fv) if crate::map::kept_keys::WHOLE.contains(&k.as_str()) => v == fv,
            Some(fv) => pruned_from(v, fv),
            None => false,
        }),
        (Value::Array(l), Value::Array(f)) => {
            l.len() == f.len() && l.iter().zip(f).all(|(l, f)| pruned_from(l, f))
        }
        (l, f) => l == f,
    }
}

#[test]
fn a_lean_value_is_the_full_one_with_keys_left_out() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/invoices.json");
    let bytes = fs::read(&path).unwrap();
    let full: Value = serde_json::from_slice(&bytes).unwrap();
    let LeanValue(lean) = serde_json::from_slice(&bytes).unwrap();
    assert!(pruned_from(&lean, &full));
    assert!(!pruned_from(&full, &lean), "keys were left out");
    let inv = |v: &Value| v["data"][0].as_object().cloned().unwrap();
    let (full_inv, lean_inv) = (inv(&full), inv(&lean));
    assert!(
        lean_inv.len() * 2 < full_inv.len(),
        "{} of {}",
        lean_inv.len(),
        full_inv.len()
    );
    assert!(lean_inv.contains_key("amount_paid") && !lean_inv.contains_key("invoice_pdf"));
    assert_eq!(lean_inv.get("metadata"), full_inv.get("metadata"));
    // The check itself: a changed value or an added key is not a pruning.
    let mut changed = lean.clone();
    changed["data"][0]["total"] = Value::from(1);
    assert!(!pruned_from(&changed, &full));
    let mut added = lean;
    added["data"][0]["total_x"] = Value::from(1);
    assert!(!pruned_from(&added, &full));
}

#[test]
fn malformed_input_fails_the_same_from_a_lean_parse() {
    let cases: &[&[u8]] = &[
        // Broken inside a key no mapper reads: a full parse rejects these.
        b"{\"object\":\"customer\",\"id\":\"cus_1\",\"invoice_pdf\":\"\xff\"}",
        br#"{"object":"customer","id":"cus_1","footer":1e400}"#,
        br#"{"object":"customer","id":"cus_1","footer":"\ud800"}"#,
        br#"{"object":"customer","id":"cus_1","footer":"\q"}"#,
        b"{\"object\":\"customer\",\"id\":\"cus_1\",\"footer\":\"a\x01b\"}",
        br#"{"object":"customer","id":"cus_1","issuer":{"type":"self",}}"#,
        br#"{"object":"customer","id":"cus_1","issuer":[1,2,]}"#,
        br#"{"object":"customer","id":"cus_1","issuer":{"a":[{"b":tru}]}}"#,
        br#"{"object":"customer","id":"cus_1","issuer":{1:2}}"#,
        br#"{"object":"customer","id":"cus_1","footer":"x""#,
        // Accepted by both: big numbers, odd escapes, duplicate keys.
        br#"{"object":"customer","id":"cus_1","footer":123456789012345678901234567890}"#,
        br#"{"object":"customer","id":"cus_\u0031","name":"a\"b\\c","name":"second"}"#,
        br#"{"object":"customer","id":"cus_1","na\u006de":"an escaped key","\u0069d":"cus_2"}"#,
        br#"{"object":"invoice","id":"in_1","currency":"usd","total":100,"total":"x"}"#,
        br#"{"object":"invoice","id":"in_1","currency":"usd","total":1.5e2}"#,
        // Text beyond ASCII, CRLF line ends.
        "{\"object\":\"customer\",\"id\":\"cus_1\",\"name\":\"Zoë × 😀\",\"x\":\"ü\"}\r\n\
         {\"object\":\"customer\",\"id\":\"cus_2\"}\r\n"
            .as_bytes(),
        // Several values, garbage after them, a list without data.
        br#"{"object":"customer","id":"cus_1"} {"object":"customer","id":"cus_2"} ]"#,
        br#"{"object":"list","data":{"object":"customer"}} 3 "x" null"#,
        br#"{"error":{"type":"invalid_request_error","message":"No such","param":"x"}}"#,
        br#"{"object":"balance","available":[{"amount":5,"currency":"usd","source_types":{}}]}"#,
        br#"[{"object":"customer","id":"cus_1","deep":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}]"#,
    ];
    let deep = format!(
        "{{\"object\":\"customer\",\"id\":\"cus_1\",\"footer\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for (i, case) in cases.iter().copied().chain([deep.as_bytes()]).enumerate() {
        for ext in ["json", "jsonl"] {
            let path = dir.path().join(format!("case_{i}.{ext}"));
            let read = same_both_ways(&path, case);
            n += read.items.len();
        }
    }
    // Lines of a `.jsonl` file fail one by one, the rest still reads.
    let lines = b"{\"object\":\"customer\",\"id\":\"cus_1\",\"x\":\"\xff\"}\n\
                  {\"object\":\"customer\",\"id\":\"cus_2\",\"x\":{}}\n\n\
                  {\"object\":\"customer\",\"id\":\"cus_3\",\"x\":1e999}\n";
    let read = same_both_ways(&dir.path().join("lines.jsonl"), lines);
    assert_eq!(read.items.len(), 3);
    assert!(matches!(&read.items[0], SourceItem::Failed(f) if f.error.contains("invalid JSON")));
    assert!(matches!(&read.items[1], SourceItem::Record(_)));
    assert!(n > 20, "{n} items");
}

/// A whole export (`TIEOUT_LEAN_CHECK_DIR`, e.g. a generated benchmark
/// export) read both ways; run by hand with `--ignored`.
#[test]
#[ignore = "reads the export named by TIEOUT_LEAN_CHECK_DIR"]
fn an_export_maps_the_same_from_a_lean_parse() {
    let dir = std::env::var("TIEOUT_LEAN_CHECK_DIR").expect("TIEOUT_LEAN_CHECK_DIR");
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    walk(Path::new(&dir), &mut paths, &mut errors);
    assert!(!paths.is_empty());
    let mut items = 0;
    for path in &paths {
        let bytes = fs::read(path).unwrap();
        let full = read_with(path, &bytes, None, false);
        let lean = read_with(path, &bytes, None, true);
        assert_eq!(
            format!("{full:?}"),
            format!("{lean:?}"),
            "{}",
            path.display()
        );
        items += full.items.len();
    }
    eprintln!("{} files, {items} items, the same both ways", paths.len());
}
