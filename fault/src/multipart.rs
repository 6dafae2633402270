//! Hostile `multipart/form-data` bodies, for `examples/upload.rs`'s
//! `POST /upload` (body limit 64 MiB, text fields 1 MiB, 1000 parts,
//! 16 KiB per part head). Every one is a client mistake or abuse: a 4xx or
//! a close, never a 5xx, a hang or a crash.

use crate::attacks::{Category, category};
use crate::probe::{Attack, Ending};

const ROUTE: &str = "/upload";
const BOUNDARY: &str = "fault-boundary";

/// A well-formed upload: it must get the example's `202`.
pub fn normal() -> Attack {
    let body = form(&[file_part("file", "a.txt", b"one\ntwo\n")]);
    Attack::new(upload(&content_type(BOUNDARY), &body), Ending::Answer)
}

pub fn categories() -> Vec<Category> {
    vec![
        category("mp_boundary", Ending::Answer, boundaries()),
        category("mp_unterminated", Ending::Answer, unterminated()),
        category("mp_cut_short", Ending::HalfClose, cut_short()),
        category("mp_huge_head", Ending::Answer, huge_heads()),
        category("mp_field_limit", Ending::Answer, over_limits()),
        category("mp_many_fields", Ending::Answer, many_fields()),
        category("mp_odd_parts", Ending::Answer, odd_parts()),
        Category {
            name: "mp_reset_mid_body",
            attacks: reset_mid_body(),
        },
    ]
}

fn content_type(boundary: &str) -> String {
    format!("multipart/form-data; boundary={boundary}")
}

/// `POST /upload` with `Connection: close`.
fn upload(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn text_part(name: &str, value: &[u8]) -> Vec<u8> {
    let mut part =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
            .into_bytes();
    part.extend_from_slice(value);
    part.extend_from_slice(b"\r\n");
    part
}

fn file_part(name: &str, file_name: &str, content: &[u8]) -> Vec<u8> {
    let mut part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(content);
    part.extend_from_slice(b"\r\n");
    part
}

/// The parts, then the closing boundary.
fn form(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = parts.concat();
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

/// No boundary, an empty one, one too long, one the body never uses.
fn boundaries() -> Vec<Vec<u8>> {
    let body = form(&[file_part("file", "a.txt", b"abc")]);
    [
        "multipart/form-data".to_owned(),
        "multipart/form-data; boundary=".to_owned(),
        "multipart/form-data; boundary=\"\"".to_owned(),
        format!("multipart/form-data; boundary={}", "b".repeat(71)),
        format!("multipart/form-data; boundary={}", "b".repeat(10_000)),
        "multipart/form-data; boundary=other".to_owned(),
        "multipart/form-data; boundary=fault".to_owned(),
        "multipart/form-data; charset=utf-8".to_owned(),
        "multipart/form-data; boundary=a; boundary=b".to_owned(),
        "multipart/mixed; boundary=fault-boundary".to_owned(),
        "multipart/form-data;;;boundary==;".to_owned(),
        "text/plain".to_owned(),
    ]
    .iter()
    .map(|content_type| upload(content_type, &body))
    .chain([
        upload(&content_type(BOUNDARY), &vec![b'a'; 2 << 20]),
        upload(&content_type(BOUNDARY), b""),
    ])
    .collect()
}

/// Complete requests whose multipart ends too soon.
fn unterminated() -> Vec<Vec<u8>> {
    let ct = content_type(BOUNDARY);
    let whole = form(&[text_part("note", b"hi"), file_part("file", "a.txt", b"abc")]);
    let mut out: Vec<Vec<u8>> = (1..whole.len())
        .step_by(7)
        .map(|len| upload(&ct, &whole[..len]))
        .collect();
    // No closing boundary at all, with a part 1 MiB long.
    let mut open = file_part("file", "big.bin", &vec![b'x'; 1 << 20]);
    open.truncate(open.len() - 2);
    out.push(upload(&ct, &open));
    // Lines ended by LF alone.
    out.push(upload(
        &ct,
        format!(
            "--{BOUNDARY}\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\n\nabc\n--{BOUNDARY}--\n"
        )
        .as_bytes(),
    ));
    out
}

/// A `Content-Length` the client never reaches, then FIN.
fn cut_short() -> Vec<Vec<u8>> {
    let ct = content_type(BOUNDARY);
    let head = |length: usize| {
        format!(
            "POST {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ct}\r\nContent-Length: {length}\r\n\r\n"
        )
        .into_bytes()
    };
    let start = file_part("file", "a.bin", &vec![b'y'; 64 << 10]);
    [10, 100, 1000, 30_000, start.len() - 10]
        .into_iter()
        .map(|sent| [head(start.len() + 4096), start[..sent].to_vec()].concat())
        .collect()
}

/// A part whose head is enormous, or never ends.
fn huge_heads() -> Vec<Vec<u8>> {
    let ct = content_type(BOUNDARY);
    let disposition = "Content-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n";
    let many: String = (0..40).map(|i| format!("X-H{i}: v\r\n")).collect();
    vec![
        upload(
            &ct,
            format!("--{BOUNDARY}\r\n{disposition}X-Big: {}\r\n\r\nabc\r\n--{BOUNDARY}--\r\n", "v".repeat(100 << 10)).as_bytes(),
        ),
        upload(
            &ct,
            format!("--{BOUNDARY}\r\n{disposition}{many}\r\nabc\r\n--{BOUNDARY}--\r\n").as_bytes(),
        ),
        upload(
            &ct,
            format!("--{BOUNDARY}\r\n{disposition}{}", "X: y\r\n".repeat(50_000)).as_bytes(),
        ),
        upload(
            &ct,
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\nabc\r\n--{BOUNDARY}--\r\n",
                "n".repeat(1 << 20)
            )
            .as_bytes(),
        ),
        // A preamble of 1 MiB before the first boundary.
        upload(
            &ct,
            &[vec![b'p'; 1 << 20], form(&[file_part("file", "a", b"abc")])].concat(),
        ),
        // Announced at 1 GiB, over the route's limit: refused from the head.
        format!(
            "POST {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            1u64 << 30
        )
        .into_bytes(),
    ]
}

/// A text field past its 1 MiB limit, and one that is not UTF-8.
fn over_limits() -> Vec<Vec<u8>> {
    let ct = content_type(BOUNDARY);
    vec![
        upload(
            &ct,
            &form(&[
                file_part("file", "a", b"abc"),
                text_part("note", &vec![b'n'; (1 << 20) + 1]),
            ]),
        ),
        upload(
            &ct,
            &form(&[
                text_part("note", &vec![b'n'; 3 << 20]),
                file_part("file", "a", b"abc"),
            ]),
        ),
        upload(
            &ct,
            &form(&[
                file_part("file", "a", b"abc"),
                text_part("note", b"\xff\xfe\xfd"),
            ]),
        ),
    ]
}

/// Thousands of tiny fields: the part limit stops them.
fn many_fields() -> Vec<Vec<u8>> {
    let ct = content_type(BOUNDARY);
    [999, 1000, 1001, 5000, 20_000]
        .into_iter()
        .flat_map(|count| {
            let notes: Vec<Vec<u8>> = (0..count).map(|_| text_part("note", b"")).collect();
            let with_file = [notes.clone(), vec![file_part("file", "a", b"abc")]].concat();
            [upload(&ct, &form(&notes)), upload(&ct, &form(&with_file))]
        })
        .collect()
}

/// Parts without a name, with fields the form does not have, with the
/// boundary almost inside the content, with an epilogue.
fn odd_parts() -> Vec<Vec<u8>> {
    let ct = content_type(BOUNDARY);
    let nameless =
        format!("--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nabc\r\n--{BOUNDARY}--\r\n");
    let near_miss = format!("\r\n--{}x\r\n--{BOUNDARY}", &BOUNDARY[..8]);
    vec![
        upload(&ct, nameless.as_bytes()),
        upload(&ct, &form(&[text_part("colour", b"teal")])),
        upload(&ct, &form(&[file_part("file", "a", near_miss.as_bytes())])),
        upload(
            &ct,
            &[form(&[file_part("file", "a", b"abc")]), b"epilogue".repeat(1000)].concat(),
        ),
        upload(
            &ct,
            &form(&[file_part("file", "../../etc/passwd", b"x"), file_part("file", "\0", b"y")]),
        ),
        upload(
            &ct,
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\u{1}\"; filename=\"\u{7f}\"\r\n\r\nabc\r\n--{BOUNDARY}--\r\n"
            )
            .as_bytes(),
        ),
        upload(
            &ct,
            &[
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"").into_bytes(),
                b"\xff\xfe".to_vec(),
                format!("\"\r\n\r\nabc\r\n--{BOUNDARY}--\r\n").into_bytes(),
            ]
            .concat(),
        ),
    ]
}

/// A large upload started, then a reset.
fn reset_mid_body() -> Vec<Attack> {
    let ct = content_type(BOUNDARY);
    let start = file_part("file", "a.bin", &vec![b'z'; 256 << 10]);
    let head = format!(
        "POST {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        10 << 20
    );
    (0..10)
        .flat_map(|_| {
            let bytes = [head.as_bytes(), &start].concat();
            [Ending::HalfClose, Ending::Reset].map(|ending| Attack::new(bytes.clone(), ending))
        })
        .collect()
}
