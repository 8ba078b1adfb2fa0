// Drives a stepstream server with Mastra's own client (@mastra/client-js), printing one JSON
// object with what each call returned; tests/server/test_client_js.py checks it.
// Usage: node drive.mjs BASE_URL TOKEN
import { errorOf, makeClient } from "./client.mjs";

const [baseUrl, token] = process.argv.slice(2);
const client = makeClient(baseUrl, token);
const out = {};

async function collect(stream) {
  const events = [];
  for await (const event of stream) events.push(event);
  return events;
}

const listed = await client.listWorkflows();
out.list = Object.keys(listed).sort();
const approval = client.getWorkflow("approval");
const details = await approval.details();
out.details = { name: details.name, steps: Object.keys(details.steps), graph: details.stepGraph.map((n) => n.step.id) };
out.schema = await approval.getSchema();

// create-run, stream until suspended, resume-stream to the end
const run = await approval.createRun();
out.createdRunId = run.runId;
out.stream = await collect(await run.stream({ inputData: { value: "hi" } }));
out.resumeStream = await collect(await run.resumeStream({ step: "approve", resumeData: { approved: true } }));

// start-async then resume-async
const run2 = await approval.createRun({ runId: "js-async" });
out.startAsync = await run2.startAsync({ inputData: { value: "async" } });
out.resumeAsync = await run2.resumeAsync({ step: "approve", resumeData: { approved: false } });

// runs, run by id
out.runs = await approval.runs();
out.runById = await approval.runById(run.runId);

// cancel a suspended run
const run3 = await approval.createRun({ runId: "js-cancel" });
await run3.startAsync({ inputData: { value: "c" } });
out.cancel = await run3.cancel();
out.canceled = await approval.runById("js-cancel");

// a failed step's error
const failing = client.getWorkflow("failing");
const run4 = await failing.createRun();
const failed = await run4.startAsync({ inputData: { value: "x" } });
out.failed = { status: failed.status, isError: failed.error instanceof Error, message: failed.error?.message };

// errors
out.unknownWorkflow = await errorOf(client.getWorkflow("nope").details());
out.unknownRun = await errorOf(approval.runById("ghost"));
out.badResume = await errorOf((await approval.createRun({ runId: "js-async" })).resumeAsync({ resumeData: { approved: true } }));

// observe: the whole run again, then from an offset
if (process.env.OBSERVE === "1") {
  const again = await approval.createRun({ runId: run.runId });
  out.observe = await collect(await again.observe());
  out.observeFrom = await collect(await again.observe({ offset: 3 }));
}
process.stdout.write(JSON.stringify(out));
