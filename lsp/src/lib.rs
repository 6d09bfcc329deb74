//! The ward language server: LSP over stdio with tower-lsp-server, over the same salsa
//! database as `ward check`.
//!
//! Handlers are thin: convert the position, call one IDE query of the compiler
//! (`ward_compiler::ide`), convert the answer back. Only this crate knows LSP types.

mod convert;
mod server;

pub use server::Backend;

use tower_lsp_server::{LspService, Server};

/// Serves LSP on standard input and output until the client exits.
pub async fn run_stdio() {
    let (stdin, stdout) = (tokio::io::stdin(), tokio::io::stdout());
    let (service, socket) = LspService::new(Backend::new);
    Server::new(stdin, stdout, socket).serve(service).await;
}
