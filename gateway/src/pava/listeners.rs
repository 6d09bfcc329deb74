//! Syslog listeners: UDP (RFC 5426) and TCP (RFC 6587 framing). Each message goes to the
//! engine thread; a TCP sender's next frame is read only after its message is handled (the
//! stream's back-pressure is the acknowledgement). UDP cannot push back: when the engine is
//! behind, datagrams are dropped and counted as `overload`, never queued without bound.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};

use super::framing::{Decoder, Frame};
use super::service::{MAX_QUEUED_BYTES, Pava, Received, dropped, overloaded};
use super::syslog::Malformed;
use crate::error::StartError;
use crate::limits::{ConnectionState, Connections, Refused, Standing};

/// The largest message: RFC 5425 asks receivers to take 8 KB at least; a thing's report
/// fits well within 64 KB, and nothing larger is buffered.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Connections served at once per TCP or TLS listener.
const MAX_CONNECTIONS: usize = 1024;
/// Connections of one source at once (a thing needs one): more are closed at accept and
/// counted (`too-many-connections`), so that idle or anonymous connections of one host
/// cannot starve the others.
const MAX_PER_SOURCE: usize = 16;
/// How long a connection may send nothing: an idle one gives its slot back.
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The receive buffer asked of the kernel for the UDP socket. UDP cannot push back, so the
/// socket's buffer is all that absorbs a burst while the engine is busy: the default
/// (`net.core.rmem_default`, 208 KB on most systems) holds about 1,000 messages, and loss on
/// loopback started near 100,000 messages/s with it. Linux grants up to `net.core.rmem_max`
/// (and reports twice what it grants, for its bookkeeping); raise that sysctl for more. The
/// size granted is in `/v1/pava` (`udp_receive_buffer_bytes`).
const UDP_RECEIVE_BUFFER: usize = 16 * 1024 * 1024;

/// A bound UDP socket with a large receive buffer (as large as the kernel allows).
fn udp_socket(address: SocketAddr) -> std::io::Result<(std::net::UdpSocket, usize)> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    // Best effort: a smaller buffer than asked still works, only with less room.
    if socket.set_recv_buffer_size(UDP_RECEIVE_BUFFER).is_err() {
        let _ = socket.set_recv_buffer_size(UDP_RECEIVE_BUFFER / 8);
    }
    socket.bind(&address.into())?;
    socket.set_nonblocking(true)?;
    let granted = socket.recv_buffer_size().unwrap_or(0);
    Ok((socket.into(), granted))
}

pub async fn udp(address: SocketAddr, pava: Arc<Pava>) -> Result<SocketAddr, StartError> {
    let refused = |error| StartError::Listen {
        what: "syslog UDP",
        address,
        error,
    };
    let (socket, granted) = udp_socket(address).map_err(refused)?;
    let socket = UdpSocket::from_std(socket).map_err(refused)?;
    pava.udp_buffer.store(granted, Ordering::Relaxed);
    let bound = socket.local_addr().map_err(refused)?;
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 65_536];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buffer).await else {
                continue;
            };
            if n > MAX_MESSAGE_BYTES {
                dropped(&pava, from.ip(), Malformed::TooLarge);
                continue;
            }
            // Beyond its share a source's datagrams are dropped here, before they can take
            // the queue's room from other things.
            let within = pava
                .quotas
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(from.ip(), n, std::time::Instant::now())
                .is_ok();
            if !within {
                super::service::count_drop(&pava, from.ip(), "over-quota");
                continue;
            }
            let queued = pava.queued.load(Ordering::Relaxed);
            if queued + n > MAX_QUEUED_BYTES {
                overloaded(&pava, from.ip());
                continue;
            }
            let mut bytes = buffer[..n].to_vec();
            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\0') {
                bytes.pop();
            }
            let size = bytes.len();
            let received = Received {
                source: from.ip(),
                transport: "udp",
                identity: None,
                bytes,
                done: None,
            };
            pava.queued.fetch_add(size, Ordering::Relaxed);
            if pava.sender.try_send(received).is_err() {
                pava.queued.fetch_sub(size, Ordering::Relaxed);
                overloaded(&pava, from.ip());
            }
        }
    });
    Ok(bound)
}

/// Whether an address is an onboarded thing's: its connections outrank unknown ones when
/// the listener is full.
pub type Known = Arc<dyn Fn(std::net::IpAddr) -> bool + Send + Sync>;

pub async fn tcp(
    address: SocketAddr,
    pava: Arc<Pava>,
    known: Known,
) -> Result<SocketAddr, StartError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| StartError::Listen {
            what: "syslog TCP",
            address,
            error,
        })?;
    serve_connections(
        listener,
        "tcp",
        pava.clone(),
        known,
        move |stream, from, state| {
            let pava = pava.clone();
            async move { serve_stream(stream, from, false, None, &state, &pava).await }
        },
    )
}

/// Serves each connection of a listener (`tcp`, `tls`) in its own task, at most
/// `MAX_CONNECTIONS` at once and `MAX_PER_SOURCE` per source address; when full, a source
/// with fewer connections takes the place of one of lesser standing (limits.rs). Returns
/// the bound address.
pub(super) fn serve_connections<F, Fut>(
    listener: TcpListener,
    what: &'static str,
    pava: Arc<Pava>,
    known: Known,
    serve: F,
) -> Result<SocketAddr, StartError>
where
    F: Fn(tokio::net::TcpStream, SocketAddr, Arc<ConnectionState>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let bound = listener.local_addr().map_err(|error| StartError::Listen {
        what: if what == "tls" {
            "syslog TLS"
        } else {
            "syslog TCP"
        },
        address: SocketAddr::from(([0, 0, 0, 0], 0)),
        error,
    })?;
    let connections = Connections::new(MAX_CONNECTIONS, MAX_PER_SOURCE);
    tokio::spawn(async move {
        loop {
            let Ok((stream, from)) = listener.accept().await else {
                // Out of descriptors, say: give the connections a moment to end.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            let standing = if known(from.ip()) {
                Standing::ThingAddress
            } else {
                Standing::Unknown
            };
            let (admitted, evicted) = match connections.admit(from.ip(), standing) {
                Ok(admitted) => admitted,
                Err(Refused::SourceShare) => {
                    super::service::count_refusal(&pava, from.ip(), "too-many-connections");
                    continue;
                }
                Err(Refused::Full) => {
                    super::service::count_refusal(&pava, from.ip(), "listener-full");
                    continue;
                }
            };
            if let Some(evicted) = evicted {
                super::service::count_eviction(&pava, evicted, what);
            }
            super::service::count_connections(&pava, what, connections.len());
            let connection = serve(stream, from, admitted.state.clone());
            let (pava, connections) = (pava.clone(), connections.clone());
            tokio::spawn(async move {
                let mut admitted = admitted;
                // Evicted: the connection's future is dropped, which closes its stream.
                tokio::select! {
                    () = connection => {}
                    _ = &mut admitted.evicted => {}
                }
                drop(admitted);
                super::service::count_connections(&pava, what, connections.len());
            });
        }
    });
    Ok(bound)
}

/// Bytes counted as queued for the engine, which subtracts them when it takes the message;
/// dropped before `taken` (the send was cancelled: tokio's send puts nothing in the queue
/// then), it subtracts them itself, so an evicted connection leaves no phantom bytes that
/// would make UDP drop as `overload` forever.
struct Queued<'a> {
    pava: &'a Pava,
    bytes: usize,
}

impl<'a> Queued<'a> {
    fn add(pava: &'a Pava, bytes: usize) -> Queued<'a> {
        pava.queued.fetch_add(bytes, Ordering::Relaxed);
        Queued { pava, bytes }
    }

    /// The message is in the engine's queue: the engine gives the bytes back.
    fn taken(mut self) {
        self.bytes = 0;
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.pava.queued.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

/// Reads frames from a stream until it ends or sends garbage.
pub async fn serve_stream<S: tokio::io::AsyncRead + Unpin>(
    mut stream: S,
    from: SocketAddr,
    tls: bool,
    identity: Option<String>,
    state: &ConnectionState,
    pava: &Pava,
) {
    let mut decoder = Decoder::new(MAX_MESSAGE_BYTES);
    let mut buffer = vec![0u8; 16 * 1024];
    let mut frames = Vec::new();
    loop {
        let n = match tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => return,
            Ok(Ok(n)) => n,
        };
        state.touch();
        decoder.push(&buffer[..n], &mut frames);
        for frame in frames.drain(..) {
            match frame {
                Frame::Message(bytes) => {
                    // A stream waits for its source's share: the sender is pushed back.
                    loop {
                        let wait = pava.quotas.lock().unwrap_or_else(|p| p.into_inner()).take(
                            from.ip(),
                            bytes.len(),
                            std::time::Instant::now(),
                        );
                        match wait {
                            Ok(()) => break,
                            Err(seconds) => {
                                tokio::time::sleep(std::time::Duration::from_secs_f64(
                                    seconds.clamp(0.001, 1.0),
                                ))
                                .await;
                            }
                        }
                    }
                    // Counted as queued until the engine takes it; given back if this
                    // connection ends (evicted) before the message is in the queue.
                    let queued = Queued::add(pava, bytes.len());
                    let (done, handled) = tokio::sync::oneshot::channel();
                    let received = Received {
                        source: from.ip(),
                        transport: if identity.is_some() || tls {
                            "tls"
                        } else {
                            "tcp"
                        },
                        identity: identity.clone(),
                        bytes,
                        done: Some(done),
                    };
                    if pava.sender.send(received).await.is_err() {
                        return;
                    }
                    queued.taken();
                    let _ = handled.await;
                }
                Frame::TooLarge(_) => dropped(pava, from.ip(), Malformed::TooLarge),
                Frame::Garbage => {
                    dropped(pava, from.ip(), Malformed::BadHeader);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Connections, Standing};
    use crate::pava::service::Counters;

    /// A connection closed (evicted) while its message waits for room in the engine's queue
    /// gives back the bytes it counted: before, they stayed counted, and enough of them made
    /// UDP drop every datagram as `overload`.
    #[tokio::test]
    async fn a_message_whose_send_is_cancelled_leaves_no_queued_bytes() {
        let (sender, _engine) = tokio::sync::mpsc::channel(1);
        let pava = Pava {
            counters: std::sync::Mutex::new(Counters::default()),
            sender,
            queued: std::sync::atomic::AtomicUsize::new(0),
            udp_buffer: std::sync::atomic::AtomicUsize::new(0),
            quotas: std::sync::Mutex::new(super::super::quota::Quotas::default()),
        };
        let from: SocketAddr = "127.0.0.9:5000".parse().expect("address");
        // The engine's queue is full: the next message waits for room.
        pava.sender
            .try_send(Received {
                source: from.ip(),
                transport: "tcp",
                identity: None,
                bytes: Vec::new(),
                done: None,
            })
            .expect("room for one");
        let (admitted, _) = Connections::new(1, 1)
            .admit(from.ip(), Standing::Unknown)
            .expect("admitted");
        let stream: &[u8] = b"5 hello";
        let waited = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            serve_stream(stream, from, false, None, &admitted.state, &pava),
        )
        .await;
        assert!(waited.is_err(), "the send should wait for room");
        assert_eq!(pava.queued.load(Ordering::Relaxed), 0);
    }
}
