//! The async client driver's futures are `Send` when the transport, the
//! timer, the event callbacks and the body are: a host spawns a client's
//! session on a multi-threaded runtime (`tokio::spawn`). The driver's I/O
//! loop is shared by its methods (one copy per transport, not per closure:
//! the firmware's flash), and nothing it holds across an await may be a
//! `dyn` callback or body, which is not `Send`. Compiled, not run: the
//! futures are built and checked, never polled.
#![cfg(feature = "async")]

use core::future::Future;
use std::sync::{Arc, Mutex};

use embedded_io_adapters::tokio_1::FromTokio;
use embedded_smtp::client::{ClientConfig, Envelope, Event, Recipient};
use embedded_smtp::io::asynch::SmtpClient;
use embedded_smtp::io::{BodySource, Error};
use tokio::net::TcpStream;

use crate::support::io_tokio::TokioTimer;

fn assert_send<F: Future + Send>(f: F) -> F {
    f
}

/// A body with state of its own (`Send`, not `Copy`).
struct Chunks {
    chunks: Vec<Vec<u8>>,
    at: usize,
}

impl BodySource for Chunks {
    fn fill(&mut self) -> Result<&[u8], Error> {
        Ok(self.chunks.first().map_or(&[][..], |c| &c[self.at..]))
    }

    fn consume(&mut self, n: usize) {
        self.at += n;
        if self.chunks.first().is_some_and(|c| self.at == c.len()) {
            self.chunks.remove(0);
            self.at = 0;
        }
    }
}

#[test]
fn client_futures_are_send_with_capturing_callbacks_and_bodies() {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let session = async move {
        let tcp = TcpStream::connect("127.0.0.1:25").await.unwrap();
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut count = 0usize;
        let client = SmtpClient::connect_with_events(
            FromTokio::new(tcp),
            TokioTimer,
            ClientConfig::new("client.example"),
            &mut rx,
            &mut tx,
            |_: &Event<'_>| count += 1,
        )
        .await
        .unwrap();
        let log = codes.clone();
        let mut client = client
            .start_tls_with_events(
                |io| async move { Ok::<_, ()>(io) },
                move |e: &Event<'_>| {
                    if let Event::Greeting(r) = e {
                        log.lock().unwrap().push(r.code().get());
                    }
                },
            )
            .await
            .unwrap();
        let rcpts = [Recipient::new("bob@mx.example").unwrap()];
        let envelope = Envelope::new("alice@client.example", &rcpts).unwrap();
        let body = Chunks {
            chunks: vec![b"Subject: hi\r\n\r\n".to_vec(), b"hello\r\n".to_vec()],
            at: 0,
        };
        let mut seen = Vec::new();
        let delivery = client
            .send(&envelope, body, |e: &Event<'_>| {
                seen.push(matches!(e, Event::Delivered { .. }))
            })
            .await
            .unwrap();
        client
            .send(
                &envelope,
                &b"Subject: again\r\n\r\n"[..],
                |_: &Event<'_>| {},
            )
            .await
            .unwrap();
        client.quit().await.unwrap();
        (delivery, count, seen)
    };
    drop(assert_send(session));
}
