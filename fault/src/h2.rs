//! Broken HTTP/2: bad prefaces, and a good preface followed by frames that
//! break the protocol. The server must answer with a GOAWAY or close, and
//! carry on serving everyone else.

use crate::probe::{Attack, Ending};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const WINDOW_UPDATE: u8 = 0x8;
const CONTINUATION: u8 = 0x9;

const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

/// A frame: 24-bit length, type, flags, 31-bit stream id, payload.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("test frames are small");
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend([kind, flags]);
    out.extend(stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The preface and an empty SETTINGS: a client that started well.
fn opened(rest: &[Vec<u8>]) -> Vec<u8> {
    let mut out = PREFACE.to_vec();
    out.extend(frame(SETTINGS, 0, 0, &[]));
    for part in rest {
        out.extend_from_slice(part);
    }
    out
}

/// An HPACK literal header, not indexed, with a new name.
fn literal(name: &str, value: &str) -> Vec<u8> {
    let mut out = vec![0x00, name.len() as u8];
    out.extend(name.bytes());
    out.push(value.len() as u8);
    out.extend(value.bytes());
    out
}

pub fn attacks() -> Vec<Attack> {
    let mut bytes: Vec<Vec<u8>> = vec![
        PREFACE.to_vec(),
        PREFACE[..16].to_vec(),
        PREFACE[..20].to_vec(),
        b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".to_vec(),
        b"PRI * HTTP/2.1\r\n\r\nSM\r\n\r\n".to_vec(),
        b"pri * http/2.0\r\n\r\nsm\r\n\r\n".to_vec(),
        b"PRI * HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
        [PREFACE, &[0xAB; 100]].concat(),
        // SETTINGS whose length is not a multiple of 6.
        [PREFACE, &frame(SETTINGS, 0, 0, &[0; 5])].concat(),
        // A frame that announces 16 MiB and brings nothing.
        [PREFACE, &[0xFF, 0xFF, 0xFF, DATA, 0, 0, 0, 0, 1]].concat(),
        // Headers the HPACK decoder cannot read.
        opened(&[frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0xFF; 10])]),
        opened(&[frame(WINDOW_UPDATE, 0, 0, &0u32.to_be_bytes())]),
        // A client's streams are odd.
        opened(&[frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            2,
            &literal("x", "y"),
        )]),
        opened(&[frame(DATA, END_STREAM, 0, b"data")]),
        opened(&[frame(PING, 0, 0, &[0; 3])]),
        opened(&[frame(CONTINUATION, END_HEADERS, 1, &literal("x", "y"))]),
        opened(&[frame(RST_STREAM, 0, 7, &0u32.to_be_bytes())]),
        opened(&[frame(SETTINGS, 0, 3, &[])]),
    ];
    // CONTINUATION flood: headers that never end, bounded to ~60 KiB.
    let mut flood = vec![frame(HEADERS, 0, 1, &literal("x-a", "0123456789"))];
    flood.extend((0..2000).map(|_| frame(CONTINUATION, 0, 1, &literal("x-b", "0123456789"))));
    bytes.push(opened(&flood));
    bytes
        .into_iter()
        .map(|bytes| Attack::new(bytes, Ending::HalfClose))
        .collect()
}
