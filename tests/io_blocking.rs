//! The blocking driver over in-memory transports: a client driver and a
//! server driver talk through a pair of channels, with reads and writes of
//! any size down to one byte.
#![cfg(feature = "blocking")]

use std::sync::mpsc;
use std::thread;

use embedded_io::{ErrorKind, ErrorType, Read, Write};
use embedded_smtp::client::{ClientConfig, Envelope, Event as ClientEvent, Recipient, TlsPolicy};
use embedded_smtp::io::blocking::{SmtpClient, serve};
use embedded_smtp::io::{Decision, Handler};
use embedded_smtp::server::Config;
use embedded_smtp::{ForwardPath, RcptParameters, ReplyCode};

/// One end of an in-memory duplex; `chunk` caps every read and write.
struct End {
    rx: mpsc::Receiver<u8>,
    tx: mpsc::Sender<u8>,
    chunk: usize,
    written: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl ErrorType for End {
    type Error = ErrorKind;
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let Ok(first) = self.rx.recv() else {
            return Ok(0);
        };
        buf[0] = first;
        let mut n = 1;
        while n < buf.len().min(self.chunk) {
            match self.rx.try_recv() {
                Ok(b) => {
                    buf[n] = b;
                    n += 1;
                }
                Err(_) => break,
            }
        }
        Ok(n)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let n = buf.len().min(self.chunk);
        for &b in &buf[..n] {
            self.tx.send(b).map_err(|_| ErrorKind::BrokenPipe)?;
        }
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

fn pair(chunk: usize) -> (End, End, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    let (a, b) = (mpsc::channel(), mpsc::channel());
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    (
        End {
            rx: a.1,
            tx: b.0,
            chunk,
            written: log.clone(),
        },
        End {
            rx: b.1,
            tx: a.0,
            chunk,
            written: std::sync::Arc::new(std::sync::Mutex::new(Vec::new())),
        },
        log,
    )
}

/// Stores messages; refuses recipients whose local part is "nobody".
#[derive(Default)]
struct Store {
    current: Vec<u8>,
    messages: Vec<Vec<u8>>,
}

impl Handler for Store {
    fn rcpt(&mut self, to: &ForwardPath<'_>, _: &RcptParameters<'_>) -> Decision<'_> {
        match to.mailbox() {
            Some(m) if m.local_part().as_str() == "nobody" => Decision::Respond {
                code: ReplyCode::new(550).unwrap(),
                enhanced: None,
                text: "no such user",
            },
            _ => Decision::Accept,
        }
    }
    fn data_start(&mut self) {
        self.current.clear();
    }
    fn data(&mut self, bytes: &[u8]) {
        self.current.extend_from_slice(bytes);
    }
    fn message_end(&mut self) -> Decision<'_> {
        self.messages.push(std::mem::take(&mut self.current));
        Decision::Accept
    }
}

fn session(chunk: usize, rx_size: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
    let (client_end, server_end, client_wrote) = pair(chunk);
    let server = thread::spawn(move || {
        let mut store = Store::default();
        let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 2048]);
        serve(
            server_end,
            Config::new("mx.example"),
            &mut rx,
            &mut tx,
            &mut store,
        )
        .unwrap();
        store.messages
    });
    let mut config = ClientConfig::new("client.example").unwrap();
    config.tls = TlsPolicy::Never;
    let (mut rx, mut tx) = (vec![0u8; rx_size], vec![0u8; 1024]);
    let mut client = SmtpClient::connect(client_end, config, &mut rx, &mut tx).unwrap();
    let rcpts = [
        Recipient::new("bob@mx.example").unwrap(),
        Recipient::new("nobody@mx.example").unwrap(),
    ];
    let envelope = Envelope::new("alice@client.example", &rcpts).unwrap();
    for i in 0..2 {
        let body = format!("Subject: {i}\r\n\r\n.leading dot\r\nline\r\n");
        let mut seen = Vec::new();
        let d = client
            .send(&envelope, body.as_bytes(), |e| {
                if let ClientEvent::Recipient { index, reply } = e {
                    seen.push((*index, reply.code().get()));
                }
            })
            .unwrap();
        assert_eq!(seen, [(0, 250), (1, 550)]);
        assert_eq!((d.accepted, d.rejected, d.delivered), (1, 1, 1));
        assert!(d.is_delivered());
    }
    client.quit().unwrap();
    let wrote = client_wrote.lock().unwrap().clone();
    (server.join().unwrap(), wrote)
}

#[test]
fn client_and_server_drivers_exchange_two_messages() {
    let (messages, wrote) = session(4096, 1024);
    assert_eq!(
        messages,
        [
            b"Subject: 0\r\n\r\n.leading dot\r\nline\r\n".to_vec(),
            b"Subject: 1\r\n\r\n.leading dot\r\nline\r\n".to_vec()
        ]
    );
    let text = String::from_utf8(wrote).unwrap();
    assert!(
        text.starts_with("EHLO client.example\r\nMAIL FROM:<alice@client.example>\r\n"),
        "{text}"
    );
    // The default server offers CHUNKING, so the body goes as BDAT: unstuffed.
    assert!(
        text.contains("BDAT 34\r\nSubject: 0\r\n\r\n.leading dot\r\nline\r\nBDAT 0 LAST\r\n"),
        "{text}"
    );
    assert!(text.ends_with("QUIT\r\n"));
}

#[test]
fn one_byte_reads_and_writes_give_the_same_result() {
    let whole = session(4096, 1024);
    let bytewise = session(1, 1024);
    assert_eq!(whole, bytewise);
}
