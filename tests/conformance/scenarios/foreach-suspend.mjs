// foreach (concurrency 3) where odd items suspend: resume them one index at a time with
// forEachIndex; in a second run, one plain resume resumes every suspended item at once.
// Suspended results are noted field by field: the step record's suspendPayload carries
// Mastra's internal __workflow_meta.foreachOutput bookkeeping, which is not part of the contract.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const check = createStep({ id: 'check', inputSchema: N, outputSchema: N, resumeSchema: z.object({ add: z.number() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (inputData.n % 2 === 0) return { n: inputData.n * 10 };
      if (!resumeData) return await suspend({ item: inputData.n });
      return { n: inputData.n + resumeData.add };
    } });
  const wf = createWorkflow({ id: 'each-suspend', inputSchema: z.array(N), outputSchema: z.array(N) }).foreach(check, { concurrency: 3 }).commit();
  const m = mastraWith({ wf });
  const items = [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }];
  const brief = (r) => ({ status: r.status, suspended: r.suspended, suspendPayload: r.suspendPayload, check: r.steps.check.status });

  const run = await m.getWorkflow('wf').createRun();
  const out = run.stream({ inputData: items });
  const events = [];
  for await (const ev of out.fullStream) events.push(ev);
  log.note(events.map((e) => e.type).filter((t) => t !== 'workflow-step-progress'));
  // Items settle concurrently: compare the (index, status) pairs in index order.
  log.note(events.filter((e) => e.type === 'workflow-step-progress')
    .map((e) => [e.payload.currentIndex, e.payload.iterationStatus, e.payload.totalCount]).sort((a, b) => a[0] - b[0]));
  log.note(brief(await out.result));
  log.note(brief(await run.resume({ forEachIndex: 2, resumeData: { add: 100 } })));
  log.result(await run.resume({ forEachIndex: 0, resumeData: { add: 200 } }));

  const run2 = await m.getWorkflow('wf').createRun();
  log.note(brief(await run2.start({ inputData: items })));
  log.result(await run2.resume({ resumeData: { add: 5 } }));
}
