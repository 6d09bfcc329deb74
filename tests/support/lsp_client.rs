//! A minimal LSP client over a child process's stdio, for the language server's tests and
//! benchmark: Content-Length framing, requests with ids, notifications kept aside.

#![allow(dead_code, reason = "each user needs a different part")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

pub struct Server {
    pub child: Child,
    stdin: ChildStdin,
    pub messages: Receiver<Value>,
    next_id: u64,
    /// Notifications received while waiting for responses.
    pub notifications: Vec<Value>,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Server {
    pub fn start(binary: &str, root: &Path) -> Server {
        let mut child = Command::new(binary)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ward lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            messages,
            next_id: 1,
            notifications: Vec::new(),
        };
        let uri = uri(root);
        let result = server.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{ "uri": uri, "name": "test" }],
                "capabilities": {},
            }),
        );
        assert_eq!(result["serverInfo"]["name"], "ward");
        assert_eq!(result["capabilities"]["hoverProvider"], true);
        server.notify("initialized", json!({}));
        server
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            if message["id"] == json!(id) && message.get("method").is_none() {
                if let Some(error) = message.get("error") {
                    return json!({ "error": error });
                }
                return message["result"].clone();
            }
            if message.get("id").is_some() && message.get("method").is_some() {
                // A request from the server (e.g. workspace/configuration): answer null.
                let answer = json!({ "jsonrpc": "2.0", "id": message["id"], "result": null });
                self.send(answer);
                continue;
            }
            self.notifications.push(message);
        }
    }

    /// Waits for diagnostics of `uri` that satisfy `check`.
    pub fn diagnostics_for(&mut self, uri: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.notifications.iter().rev().find(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
            });
            if let Some(found) = found {
                let list = found["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if check(&list) {
                    return list;
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no matching diagnostics for {uri}"));
            if message.get("id").is_some() && message.get("method").is_some() {
                // A request from the server (client/registerCapability): an editor answers.
                let answer = json!({ "jsonrpc": "2.0", "id": message["id"], "result": null });
                self.send(answer);
                continue;
            }
            self.notifications.push(message);
        }
    }

    pub fn stop(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("exits");
        assert!(status.success());
    }
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}
