//! Running `ward gateway` in tests: the process on a free port, a blocking HTTP/1.1 client
//! (one request per connection), and a MUD mirror server over a folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// A running gateway, killed on drop.
pub struct GatewayProcess {
    pub child: Child,
    pub address: SocketAddr,
    /// An operator token, made before the gateway started.
    pub token: String,
    /// The syslog listeners, when started with `--syslog-udp` / `--syslog-tcp`.
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ward gateway ARGS --listen 127.0.0.1:0` in `dir`; returns once it listens, or
/// the error output if it exits first.
pub fn start(dir: &Path, args: &[&str]) -> Result<GatewayProcess, String> {
    start_in(&[], dir, args)
}

/// As `start`, behind a command prefix such as `ip netns exec NS`.
pub fn start_in(prefix: &[&str], dir: &Path, args: &[&str]) -> Result<GatewayProcess, String> {
    let ward = env!("CARGO_BIN_EXE_ward");
    let mut command = match prefix.split_first() {
        Some((first, rest)) => {
            let mut command = Command::new(first);
            command.args(rest).arg(ward);
            command
        }
        None => Command::new(ward),
    };
    // The API on a free loopback port, unless the caller names where; plain HTTP there,
    // unless the caller gives TLS.
    let mut extra: Vec<&str> = Vec::new();
    if !args.contains(&"--listen") {
        extra.extend(["--listen", "127.0.0.1:0"]);
    }
    if !args.contains(&"--tls-cert") {
        extra.push("--insecure-http");
    }
    let token = create_token(dir, args, "operator")?;
    let mut child = command
        .arg("gateway")
        .args(args)
        .args(&extra)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (found, address) = mpsc::channel();
    let (syslog_found, syslog) = mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            for kind in ["UDP", "TCP"] {
                if let Some(at) = line.split(&format!("syslog {kind} on ")).nth(1) {
                    let _ = syslog_found.send((kind, at.trim().to_string()));
                }
            }
            if let Some(at) = line
                .split("listening on http://")
                .nth(1)
                .or_else(|| line.split("listening on https://").nth(1))
            {
                let _ = found.send(Ok(at.trim().to_string()));
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        let _ = found.send(Err(seen));
    });
    match address.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(address)) => {
            let mut process = GatewayProcess {
                child,
                address: address.parse().map_err(|e| format!("{address}: {e}"))?,
                token,
                syslog_udp: None,
                syslog_tcp: None,
            };
            // The syslog lines come before the listening line.
            while let Ok((kind, at)) = syslog.try_recv() {
                let at = at.parse().ok();
                if kind == "UDP" {
                    process.syslog_udp = at;
                } else {
                    process.syslog_tcp = at;
                }
            }
            Ok(process)
        }
        Ok(Err(output)) => {
            let _ = child.wait();
            Err(output)
        }
        Err(_) => {
            let _ = child.kill();
            Err("the gateway did not start in 30 s".to_string())
        }
    }
}

/// `ward gateway token create --state STATE --role ROLE` in `dir`, for the state database
/// the gateway's arguments name; the token it prints.
pub fn create_token(dir: &Path, args: &[&str], role: &str) -> Result<String, String> {
    let flag = |name: &str| {
        args.iter()
            .position(|a| *a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.to_string())
    };
    // From the flag, or the config file's `state = "..."` line.
    let state = flag("--state")
        .or_else(|| {
            let text = std::fs::read_to_string(dir.join(flag("--config")?)).ok()?;
            text.lines().find_map(|line| {
                let value = line.strip_prefix("state")?.trim_start().strip_prefix('=')?;
                Some(value.trim().trim_matches('"').to_string())
            })
        })
        .ok_or("the gateway's arguments name no state database")?;
    let output = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args([
            "gateway", "token", "create", "--state", &state, "--role", role,
        ])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("token create: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).to_string());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

impl GatewayProcess {
    /// One request with the operator token.
    pub fn http(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Value) {
        http_as(self.address, Some(&self.token), method, path, body)
    }

    #[allow(dead_code)] // not every test file that includes this module posts
    pub fn post_json(&self, path: &str, value: &Value) -> (u16, Value) {
        self.http("POST", path, Some(value.to_string().as_bytes()))
    }
}

/// One HTTP request with `token` as bearer (none: no credentials); returns the status and
/// the body as JSON (Null if it is not JSON).
pub fn http_as(
    address: SocketAddr,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> (u16, Value) {
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let headers = format!("Host: {address}\r\nContent-Type: application/json\r\n{authorization}");
    let (status, bytes) = http_raw(address, method, path, &headers, body);
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One request with the given header lines (each ending in CRLF); the status and the body.
pub fn http_raw(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: Option<&[u8]>,
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(address).expect("connect to the gateway");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let body = body.unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    // A server may answer (413) before reading a large body: a failed write is fine then.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..text_end]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.get(text_end + 4..).unwrap_or_default().to_vec();
    (status, body)
}

/// A TCP connection from another loopback address (`127.0.0.2`): another host, for the
/// limits the gateway keeps per source.
#[allow(
    dead_code,
    reason = "not every test file that includes this module needs it"
)]
pub fn connect_from(local: &str, to: SocketAddr) -> TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let local: SocketAddr = format!("{local}:0").parse().expect("address");
    socket.bind(&local.into()).expect("bind the local address");
    socket.connect(&to.into()).expect("connect");
    socket.into()
}

/// A MUD mirror: `GET /host/path` answers the file whose MUD URL is `https://host/path`.
pub struct Mirror {
    pub base: String,
}

pub fn mirror(files: &[PathBuf]) -> Mirror {
    let mut by_path = std::collections::HashMap::new();
    for file in files {
        let bytes = std::fs::read(file).expect("MUD fixture");
        let json: Value = serde_json::from_slice(&bytes).expect("JSON");
        let url = json["ietf-mud:mud"]["mud-url"].as_str().expect("mud-url");
        let path = format!("/{}", url.trim_start_matches("https://"));
        by_path.insert(path, bytes);
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the mirror");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                match reader.read_line(&mut header) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if header == "\r\n" => break,
                    Ok(_) => {}
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let mut stream = stream;
            let _ = match by_path.get(path) {
                Some(bytes) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/mud+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            bytes.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(bytes)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    Mirror { base }
}
