//! A minimal WebSocket client (RFC 6455) for talking to Chromium's DevTools endpoint on loopback:
//! the opening handshake, masked text frames out, text frames (possibly fragmented) in. Nothing
//! else is needed for CDP, whose peer is a well-behaved local browser.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub struct Reader {
    inner: BufReader<OwnedReadHalf>,
}

pub struct Writer {
    inner: OwnedWriteHalf,
    mask_seed: u32,
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Connects to `ws://host:port/path`.
pub async fn connect(url: &str) -> io::Result<(Reader, Writer)> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| bad(format!("not a ws:// URL: {url}")))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let stream = TcpStream::connect(authority).await?;
    let (read, mut write) = stream.into_split();
    // The key only proves the server speaks WebSocket; any 16 bytes, base64, will do.
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    write.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::new(read);
    let mut status = String::new();
    reader.read_line(&mut status).await?;
    if !status.starts_with("HTTP/1.1 101") {
        return Err(bad(format!("handshake refused: {}", status.trim())));
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(bad("connection closed during the handshake"));
        }
        if line == "\r\n" {
            break;
        }
    }
    Ok((
        Reader { inner: reader },
        Writer {
            inner: write,
            mask_seed: 0x9e37_79b9,
        },
    ))
}

impl Writer {
    /// One masked text frame (clients must mask).
    pub async fn send_text(&mut self, text: &str) -> io::Result<()> {
        let payload = text.as_bytes();
        let mut frame = Vec::with_capacity(payload.len() + 14);
        frame.push(0x81);
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= u16::MAX as usize => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        self.mask_seed = self.mask_seed.rotate_left(5).wrapping_mul(0x0100_0193);
        let mask = self.mask_seed.to_be_bytes();
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.inner.write_all(&frame).await
    }
}

impl Reader {
    /// The next text message; pings and pongs are skipped, a close frame ends the stream.
    pub async fn next_text(&mut self) -> io::Result<String> {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.inner.read_exact(&mut head).await?;
            let fin = head[0] & 0x80 != 0;
            let opcode = head[0] & 0x0f;
            let masked = head[1] & 0x80 != 0;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.inner.read_exact(&mut b).await?;
                    u16::from_be_bytes(b) as u64
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.inner.read_exact(&mut b).await?;
                    u64::from_be_bytes(b)
                }
                n => n as u64,
            };
            let mut mask = [0u8; 4];
            if masked {
                self.inner.read_exact(&mut mask).await?;
            }
            let len = usize::try_from(len).map_err(|_| bad("frame too large"))?;
            let mut payload = vec![0u8; len];
            self.inner.read_exact(&mut payload).await?;
            if masked {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= mask[i % 4];
                }
            }
            match opcode {
                0x8 => return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "closed")),
                0x9 | 0xa => continue,
                0x0..=0x2 => message.extend_from_slice(&payload),
                other => return Err(bad(format!("unexpected opcode {other}"))),
            }
            if fin {
                return String::from_utf8(message).map_err(|_| bad("text frame is not UTF-8"));
            }
        }
    }
}
