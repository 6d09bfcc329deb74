// The ward extension: syntax highlighting (syntaxes/), editing rules
// (language-configuration.json) and the language server, `ward lsp`, over stdio.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("ward").get("path") || "ward";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "ward",
    "ward",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "ward" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
