// Drives a stepstream server's schedule routes with Mastra's own client (@mastra/client-js),
// printing one JSON object with what each call returned; tests/server/test_client_js.py checks it.
// Usage: node schedules.mjs BASE_URL TOKEN
import { errorOf, makeClient } from "./client.mjs";

const [baseUrl, token] = process.argv.slice(2);
const client = makeClient(baseUrl, token);
const out = {};

out.created = await client.createSchedule({
  id: "nightly",
  workflowId: "approval",
  cron: "0 2 * * *",
  timezone: "Europe/Paris",
  inputData: { value: "from js" },
  metadata: { by: "client-js" },
});
out.listed = await client.listSchedules({ workflowId: "approval" });
out.got = await client.getSchedule("schedule_nightly");
out.updated = await client.updateSchedule("schedule_nightly", { cron: "0 3 * * *" });
out.paused = await client.pauseSchedule("schedule_nightly");
out.run = await client.runSchedule("schedule_nightly");
for (let i = 0; i < 200; i++) {
  const state = await client.getWorkflow("approval").runById(out.run.claimId).catch(() => null);
  if (state && state.status === "suspended") {
    out.runStatus = state.status;
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
out.triggers = await client.listScheduleTriggers("schedule_nightly", { limit: 5 });
out.resumed = await client.resumeSchedule("schedule_nightly");
out.deleted = await client.deleteSchedule("schedule_nightly");
out.missing = await errorOf(client.getSchedule("schedule_nightly"));
out.badCron = await errorOf(client.createSchedule({ workflowId: "approval", cron: "0 25 * * *" }));
console.log(JSON.stringify(out));
