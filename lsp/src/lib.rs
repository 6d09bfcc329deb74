//! The ward language server. It will speak LSP over stdio with tower-lsp-server, over the
//! same compiler database as `ward check`; handlers stay thin: convert positions, call one
//! compiler IDE query, convert back. Only this crate knows LSP types.
