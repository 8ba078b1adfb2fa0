// Mastra's own server (@mastra/core + @mastra/hono on @hono/node-server) serving the same
// workflows as tests/server/flows.py: the 3-step "chain" (bench/server_load.py), "approval"
// and "failing" (tests/server/test_client_js.py compares client-js against both servers).
// Prints "listening PORT".
// Usage: node server.mjs DB_PATH [STEP_DELAY_MS]
import { serve } from "@hono/node-server";
import { Mastra } from "@mastra/core/mastra";
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { MastraServer } from "@mastra/hono";
import { LibSQLStore } from "@mastra/libsql";
import { Hono } from "hono";
import { z } from "zod";

const [dbPath, delayArg] = process.argv.slice(2);
const delay = Number(delayArg ?? 0);
const Count = z.object({ n: z.number() });

function add(i) {
  return createStep({
    id: `add${i}`,
    inputSchema: Count,
    outputSchema: Count,
    execute: async ({ inputData }) => {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return { n: inputData.n + 1 };
    },
  });
}

const Value = z.object({ value: z.string() });
const shout = createStep({
  id: "shout",
  inputSchema: Value,
  outputSchema: Value,
  execute: async ({ inputData }) => ({ value: inputData.value.toUpperCase() }),
});
const approve = createStep({
  id: "approve",
  inputSchema: Value,
  outputSchema: Value,
  resumeSchema: z.object({ approved: z.boolean() }),
  execute: async ({ inputData, resumeData, suspend }) => {
    if (!resumeData) return await suspend({ reason: "needs approval" });
    return { value: `${inputData.value} approved=${resumeData.approved ? "True" : "False"}` };
  },
});
const boom = createStep({
  id: "boom",
  inputSchema: Value,
  outputSchema: Value,
  execute: async ({ inputData }) => {
    throw new Error(`boom on ${inputData.value}`);
  },
});
const approval = createWorkflow({ id: "approval", inputSchema: Value, outputSchema: Value }).then(shout).then(approve).commit();
const failing = createWorkflow({ id: "failing", inputSchema: Value, outputSchema: Value }).then(boom).commit();
const chain = createWorkflow({ id: "chain", inputSchema: Count, outputSchema: Count }).then(add(1)).then(add(2)).then(add(3)).commit();
const storage = dbPath === ":memory:" ? undefined : new LibSQLStore({ id: "bench", url: `file:${dbPath}` });
const mastra = new Mastra({ workflows: { chain, approval, failing }, ...(storage ? { storage } : {}), logger: false });

const app = new Hono();
const server = new MastraServer({ app, mastra });
await server.init();
const node = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.on("SIGTERM", () => node.close(() => process.exit(0)));
