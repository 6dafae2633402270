//! Query strings of many keys: hundreds of distinct ones, some repeated
//! long after they first came (once the runtime groups keys through a hash
//! index rather than a scan), each spelled plainly or percent-encoded, and
//! up to past the field limit; then, if the input has a line after its
//! first, that line as more pairs. What each shape gets must be what a
//! plain model of the format says: every decoded key once, with its values
//! in order; past `DEFAULT_MAX_FIELDS` pairs a lone `too_many_fields`; one
//! `string_unicode` per pair that is not UTF-8 once decoded; one
//! `int_parsing` per number that does not parse.
//!
//! The input: two bytes (little-endian) for the number of generated pairs,
//! then one choice byte per pair (reused in turn), then optionally `\n` and
//! a tail of pairs as they are.

use std::collections::{BTreeMap, HashMap};

use atode::__private::fuzz::query;
use atode::ValidationError;
use atode::extract::DEFAULT_MAX_FIELDS;
use serde::Deserialize;

/// Up to this many generated pairs: past the limit, now and then.
const MOST_PAIRS: usize = DEFAULT_MAX_FIELDS + 100;

/// Fields a handler would name among many it ignores.
#[derive(Debug, Deserialize, PartialEq)]
struct Known {
    k0: Option<String>,
    k1: Option<u32>,
    #[serde(default)]
    k2: Vec<String>,
    #[serde(default)]
    k3: Vec<u32>,
}

/// Runs every shape over the query `data` expands to; panics on a broken
/// invariant.
pub fn check(data: &[u8]) {
    let raw = expand(data);
    let model = Model::of(&raw);

    let last = query::<HashMap<String, String>>(&raw);
    let all = query::<HashMap<String, Vec<String>>>(&raw);
    let known = query::<Known>(&raw);
    match &model {
        Model::TooMany => {
            for kinds in [kinds(&last), kinds(&all), kinds(&known)] {
                assert_eq!(kinds, ["too_many_fields"], "for {raw:?}");
            }
        }
        Model::Read {
            groups,
            undecodable,
        } => {
            let unicode = vec!["string_unicode"; *undecodable];
            if *undecodable == 0 {
                let expected_last: HashMap<_, _> = groups
                    .iter()
                    .map(|(key, values)| (key.clone(), values.last().cloned().unwrap_or_default()))
                    .collect();
                let expected_all: HashMap<_, _> = groups.iter().cloned().collect();
                assert_eq!(last.as_ref().ok(), Some(&expected_last), "for {raw:?}");
                assert_eq!(all.as_ref().ok(), Some(&expected_all), "for {raw:?}");
            } else {
                assert_eq!(kinds(&last), unicode, "for {raw:?}");
                assert_eq!(kinds(&all), unicode, "for {raw:?}");
            }
            let (expected, bad_numbers) = model.known();
            if *undecodable == 0 && bad_numbers == 0 {
                assert_eq!(known.as_ref().ok(), Some(&expected), "for {raw:?}");
            } else {
                let mut expected_kinds = unicode;
                expected_kinds.extend(vec!["int_parsing"; bad_numbers]);
                assert_eq!(kinds(&known), expected_kinds, "for {raw:?}");
            }
        }
    }
    for error in [last.err(), all.err(), known.err()].into_iter().flatten() {
        crate::query::settle::<()>(Err(error));
    }
}

/// The kinds of the problems an `Err` lists, in order; nothing for `Ok`.
fn kinds<T>(result: &Result<T, ValidationError>) -> Vec<&'static str> {
    match result {
        Ok(_) => Vec::new(),
        Err(error) => error.details().iter().map(|detail| detail.kind).collect(),
    }
}

/// The query `data` stands for (see the module's documentation).
fn expand(data: &[u8]) -> String {
    let (count, rest) = match data {
        [low, high, rest @ ..] => (usize::from(u16::from_le_bytes([*low, *high])), rest),
        _ => (0, &[][..]),
    };
    let (choices, tail) = match rest.iter().position(|&byte| byte == b'\n') {
        Some(at) => (
            &rest[..at],
            std::str::from_utf8(&rest[at + 1..]).unwrap_or(""),
        ),
        None => (rest, ""),
    };
    let mut raw = String::new();
    let mut keys = 0usize;
    for i in 0..count % (MOST_PAIRS + 1) {
        let choice = if choices.is_empty() {
            0
        } else {
            choices[i % choices.len()]
        };
        // Bit 0: a key seen before, picked by the rest of the byte; else a
        // new one.
        let id = if choice & 1 == 1 && keys > 0 {
            (usize::from(choice) * 7 + i) % keys
        } else {
            keys += 1;
            keys - 1
        };
        if choice & 0x10 != 0 {
            // Empty pairs, which are no pairs at all.
            raw.push_str("&&");
        }
        if !raw.is_empty() {
            raw.push('&');
        }
        // Bits 1-2: four spellings of one key.
        let digits = id.to_string();
        match (choice >> 1) & 3 {
            0 => raw.push_str(&format!("k{digits}")),
            1 => raw.push_str(&format!("%6B{digits}")),
            2 => raw.push_str(&format!("%6b{digits}")),
            _ => {
                raw.push('k');
                push_encoded(&mut raw, &digits);
            }
        }
        raw.push('=');
        // Bit 5: a value that is not a number (a space first); bit 3: its
        // digits percent-encoded.
        if choice & 0x20 != 0 {
            raw.push('+');
        }
        let value = i.to_string();
        if choice & 0x08 != 0 {
            push_encoded(&mut raw, &value);
        } else {
            raw.push_str(&value);
        }
    }
    if !tail.is_empty() {
        raw.push('&');
        raw.push_str(tail);
    }
    raw
}

/// Appends every byte of `text` as `%XX`.
fn push_encoded(raw: &mut String, text: &str) {
    for byte in text.bytes() {
        raw.push_str(&format!("%{byte:02X}"));
    }
}

/// What the format says `raw` holds.
enum Model {
    /// More pairs than the limit.
    TooMany,
    Read {
        /// Each decoded key with its values, in the order keys first came.
        groups: Vec<(String, Vec<String>)>,
        /// Pairs whose key or value is not UTF-8 once decoded.
        undecodable: usize,
    },
}

impl Model {
    fn of(raw: &str) -> Self {
        let pairs: Vec<&str> = raw.split('&').filter(|pair| !pair.is_empty()).collect();
        if pairs.len() > DEFAULT_MAX_FIELDS {
            return Model::TooMany;
        }
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        let mut places = BTreeMap::new();
        let mut undecodable = 0;
        for pair in pairs {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (Some(key), Some(value)) = (form_decode(key), form_decode(value)) else {
                undecodable += 1;
                continue;
            };
            let place = *places.entry(key.clone()).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[place].1.push(value);
        }
        Model::Read {
            groups,
            undecodable,
        }
    }

    /// What `Known` gets, and how many numbers in it do not parse.
    fn known(&self) -> (Known, usize) {
        let Model::Read { groups, .. } = self else {
            unreachable!("asked only of a query read")
        };
        let values = |key: &str| {
            groups
                .iter()
                .find(|(known, _)| known == key)
                .map(|(_, values)| values.clone())
        };
        let mut bad = 0;
        let mut number = |text: &str| {
            text.parse::<u32>().unwrap_or_else(|_| {
                bad += 1;
                0
            })
        };
        let k1 = values("k1").map(|values| number(values.last().map_or("", String::as_str)));
        let k3 = values("k3")
            .unwrap_or_default()
            .iter()
            .map(|text| number(text))
            .collect();
        let known = Known {
            k0: values("k0").and_then(|values| values.last().cloned()),
            k1,
            k2: values("k2").unwrap_or_default(),
            k3,
        };
        (known, bad)
    }
}

/// `application/x-www-form-urlencoded` decoding written plainly: the path
/// target's reference, with `+` for a space.
fn form_decode(raw: &str) -> Option<String> {
    crate::decode_path::reference_decode(raw, true)
}
