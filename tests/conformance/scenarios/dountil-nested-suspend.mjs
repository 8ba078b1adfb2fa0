// dountil over a nested workflow whose step suspends on every iteration: each resume finishes one
// iteration, the loop condition runs and the next iteration suspends again. The condition's
// iterationCount keeps counting across resumes (1, then 2), and so does the loop record's metadata.
// The second suspension is noted field by field: Mastra's loop record there still carries the
// previous iteration's resumePayload, although that iteration's step got no resume data (a
// stale carry-over this scenario does not record).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const seen = [];
  const ask = createStep({ id: 'ask', inputSchema: N, outputSchema: N, resumeSchema: z.object({ add: z.number() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ at: inputData.n });
      return { n: inputData.n + resumeData.add };
    } });
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(ask).commit();
  const wf = createWorkflow({ id: 'loop-suspend', inputSchema: N, outputSchema: N })
    .dountil(inner, async ({ inputData, iterationCount }) => { seen.push([inputData.n, iterationCount]); return inputData.n >= 20; })
    .commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const meta = (r) => r.steps.inner?.metadata ?? null;
  const first = log.result(await run.start({ inputData: { n: 0 } }));
  log.note({ suspended: first.suspended, seen: seen.splice(0), meta: meta(first) });
  const second = await run.resume({ step: 'inner.ask', resumeData: { add: 10 } });
  log.note({ status: second.status, suspended: second.suspended, suspendPayload: second.suspendPayload,
    inner: second.steps.inner.status, seen: seen.splice(0), meta: meta(second) });
  const third = log.result(await run.resume({ step: 'inner.ask', resumeData: { add: 10 } }));
  log.note({ seen: seen.splice(0), meta: meta(third) });
}
