// Mastra's own server (@mastra/core + @mastra/hono on @hono/node-server) serving the same
// 3-step workflow as bench/server_load.py serves with stepstream. Prints "listening PORT".
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

const chain = createWorkflow({ id: "chain", inputSchema: Count, outputSchema: Count }).then(add(1)).then(add(2)).then(add(3)).commit();
const storage = dbPath === ":memory:" ? undefined : new LibSQLStore({ id: "bench", url: `file:${dbPath}` });
const mastra = new Mastra({ workflows: { chain }, ...(storage ? { storage } : {}), logger: false });

const app = new Hono();
const server = new MastraServer({ app, mastra });
await server.init();
const node = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.on("SIGTERM", () => node.close(() => process.exit(0)));
