//! One hostile connection: send the bytes, end the way the attack says,
//! and classify what the server did.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, sleep, timeout};

/// How long the server gets to answer or close once the client is done;
/// past it, the attempt is a hang.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// What the client does once its bytes are sent.
#[derive(Debug, Clone, Copy)]
pub enum Ending {
    /// The request is complete: wait for the answer.
    Answer,
    /// The request is complete and owed an answer (any status) within
    /// this long of being sent: a close without one, or no answer in
    /// time, is `Unanswered`.
    AnswerWithin(Duration),
    /// Shut down the write side (FIN): the server has all it will ever get,
    /// so it must answer or close.
    HalfClose,
    /// Reset the connection (`SO_LINGER` 0) at once: nothing to wait for.
    Reset,
    /// With a tiny receive buffer, read one byte per 10 ms for this long.
    SlowRead(Duration),
    /// A WebSocket handshake (and frames): read the answer, and after a
    /// `101` (then FIN), the server's frames until its close frame or the
    /// end.
    WebSocket,
}

#[derive(Debug, Clone)]
pub struct Attack {
    pub bytes: Vec<u8>,
    pub ending: Ending,
}

impl Attack {
    pub fn new(bytes: impl Into<Vec<u8>>, ending: Ending) -> Self {
        Attack {
            bytes: bytes.into(),
            ending,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// An HTTP/1 status line.
    Status(u16),
    /// After a `101`, the server's WebSocket close frame, with its code
    /// (1005 when it has none).
    WsClose(u16),
    /// Closed or reset without an HTTP/1 answer (an HTTP/2 GOAWAY counts
    /// here).
    Closed,
    /// Neither an answer nor a close within `PATIENCE`.
    Hang,
    /// A request owed an answer within its bound (`Ending::AnswerWithin`)
    /// got none: the server closed, or took longer.
    Unanswered,
    /// The client reset the connection itself; nothing to classify.
    Aborted,
    /// Could not connect: the server is gone, or stopped accepting.
    Refused,
}

pub async fn run(addr: SocketAddr, attack: &Attack) -> Outcome {
    let connected = match attack.ending {
        Ending::SlowRead(_) => timeout(PATIENCE, connect_with_small_window(addr)).await,
        _ => timeout(PATIENCE, TcpStream::connect(addr)).await,
    };
    let Ok(Ok(mut stream)) = connected else {
        return Outcome::Refused;
    };
    // A write error means the server closed early, perhaps after
    // answering: read what it said all the same.
    if timeout(PATIENCE, stream.write_all(&attack.bytes))
        .await
        .is_err()
    {
        // The server stopped reading and did not close.
        return Outcome::Hang;
    }
    match attack.ending {
        Ending::Answer => {}
        Ending::HalfClose => {
            let _ = stream.shutdown().await;
        }
        Ending::Reset => {
            let _ = stream.set_zero_linger();
            return Outcome::Aborted;
        }
        Ending::SlowRead(limit) => return slow_read(stream, limit).await,
        Ending::AnswerWithin(bound) => {
            return match timeout(bound, status_line(&mut stream)).await {
                Ok(Outcome::Closed) | Err(_) => Outcome::Unanswered,
                Ok(outcome) => outcome,
            };
        }
        Ending::WebSocket => {
            return timeout(PATIENCE, websocket(&mut stream))
                .await
                .unwrap_or(Outcome::Hang);
        }
    }
    timeout(PATIENCE, status_line(&mut stream))
        .await
        .unwrap_or(Outcome::Hang)
}

/// A 4 KiB receive buffer, so a slow reader pushes back on the server
/// instead of the kernel soaking up every response.
async fn connect_with_small_window(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_recv_buffer_size(4096)?;
    socket.connect(addr).await
}

/// Reads until the first line is complete, or the server closes.
async fn status_line(stream: &mut TcpStream) -> Outcome {
    let mut seen = Vec::new();
    let mut chunk = [0; 4096];
    while !seen.windows(2).any(|w| w == b"\r\n") && seen.len() < 64 * 1024 {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&chunk[..n]),
        }
    }
    parse_status(&seen)
}

/// The handshake's answer; after a `101`, the frames until a close frame.
async fn websocket(stream: &mut TcpStream) -> Outcome {
    let mut seen = Vec::new();
    let mut chunk = [0; 4096];
    let head_end = loop {
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return parse_status(&seen),
            Ok(n) => seen.extend_from_slice(&chunk[..n]),
        }
    };
    match parse_status(&seen) {
        Outcome::Status(101) => {}
        other => return other,
    }
    // The client has sent all it will: a server still waiting for the
    // rest of a frame (random bytes can announce one) must see the end,
    // as an idle socket may legitimately stay open for ever.
    let _ = stream.shutdown().await;
    let mut frames = seen.split_off(head_end);
    loop {
        match next_frame(&mut frames) {
            Some((0x8, payload)) => {
                return Outcome::WsClose(match payload.get(..2) {
                    Some(code) => u16::from_be_bytes([code[0], code[1]]),
                    None => 1005,
                });
            }
            Some(_) => continue,
            None => {}
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Outcome::Closed,
            Ok(n) => frames.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Takes one whole (unmasked, server) frame off the front of `buffer`:
/// its opcode and payload.
fn next_frame(buffer: &mut Vec<u8>) -> Option<(u8, Vec<u8>)> {
    let (&first, rest) = buffer.split_first()?;
    let (&second, rest) = rest.split_first()?;
    let (len, header) = match second & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(rest.get(..8)?.try_into().ok()?), 10),
        len => (u64::from(len), 2),
    };
    let end = header + usize::try_from(len).ok()?;
    if buffer.len() < end {
        return None;
    }
    let payload = buffer[header..end].to_vec();
    buffer.drain(..end);
    Some((first & 0x0f, payload))
}

/// One byte per 10 ms until `limit`; the first status line decides.
async fn slow_read(mut stream: TcpStream, limit: Duration) -> Outcome {
    let stop = Instant::now() + limit;
    let mut seen = Vec::new();
    let mut byte = [0; 1];
    while Instant::now() < stop {
        match timeout(PATIENCE, stream.read(&mut byte)).await {
            Err(_) => return Outcome::Hang,
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => seen.push(byte[0]),
        }
        sleep(Duration::from_millis(10)).await;
    }
    parse_status(&seen)
}

/// `HTTP/1.1 404 Not Found` → 404; anything else is a close without an
/// answer.
fn parse_status(seen: &[u8]) -> Outcome {
    let line = seen.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    match (words.next(), words.next().map(str::parse)) {
        (Some(version), Some(Ok(code))) if version.starts_with("HTTP/1.") => Outcome::Status(code),
        _ => Outcome::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_lines_and_nothing_else() {
        assert_eq!(
            parse_status(b"HTTP/1.1 414 URI Too Long\r\n"),
            Outcome::Status(414)
        );
        assert_eq!(parse_status(b"HTTP/1.0 200 OK"), Outcome::Status(200));
        assert_eq!(parse_status(b""), Outcome::Closed);
        assert_eq!(parse_status(b"\0\0\x12\x04\0\0\0\0\0"), Outcome::Closed);
    }

    #[test]
    fn reads_server_frames_whole_or_not_at_all() {
        let mut buffer = vec![0x8a, 1, b'p', 0x88, 2, 0x03, 0xf1, 0x81];
        assert_eq!(next_frame(&mut buffer), Some((0xa, vec![b'p'])));
        assert_eq!(next_frame(&mut buffer), Some((0x8, vec![0x03, 0xf1])));
        assert_eq!(next_frame(&mut buffer), None);
        assert_eq!(buffer, [0x81]);
    }
}
