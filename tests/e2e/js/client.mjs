// The TypeScript MCP SDK as a client of /mcp (Streamable HTTP), driven line by line from L3.
//
// Environment: MCP_URL, MCP_KEY, MCP_DB. Once connected it prints one JSON line
// {"ready": true, "protocolVersion": ..., "serverInfo": ..., "instructions": ...}; then, for every
// JSON line read on stdin ({"op": "list_tools"}, {"op": "call", "name", "arguments"},
// {"op": "read", "uri"}, {"op": "close"}), it prints one JSON line {"ok": true, "result": ...}
// or {"ok": false, "error": "..."}.
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const out = (value) => process.stdout.write(JSON.stringify(value) + "\n");

const transport = new StreamableHTTPClientTransport(new URL(process.env.MCP_URL), {
  requestInit: {
    headers: { Authorization: `Bearer ${process.env.MCP_KEY}`, "X-Odoo-Database": process.env.MCP_DB },
  },
});
const client = new Client({ name: "mcp-server-e2e-ts", version: "1.0.0" });
try {
  await client.connect(transport);
} catch (error) {
  out({ ready: false, error: String(error?.message ?? error) });
  process.exit(1);
}
out({
  ready: true,
  protocolVersion: transport.protocolVersion ?? null,
  sessionId: transport.sessionId ?? null,
  serverInfo: client.getServerVersion() ?? null,
  instructions: client.getInstructions() ?? null,
});

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const command = JSON.parse(line);
  try {
    if (command.op === "close") {
      await client.close();
      out({ ok: true, result: null });
      break;
    } else if (command.op === "list_tools") {
      out({ ok: true, result: await client.listTools() });
    } else if (command.op === "call") {
      out({ ok: true, result: await client.callTool({ name: command.name, arguments: command.arguments }) });
    } else if (command.op === "read") {
      out({ ok: true, result: await client.readResource({ uri: command.uri }) });
    } else {
      out({ ok: false, error: `unknown op ${command.op}` });
    }
  } catch (error) {
    out({ ok: false, error: String(error?.message ?? error), code: error?.code ?? null });
  }
}
process.exit(0);
