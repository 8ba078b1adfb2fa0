// A step id that appears again after a suspended step runs again on resume: a resume starts at
// the suspended step and runs everything after it, whatever records earlier entries left.
// Steps before the suspended one are not run again, even when one of them shares an id.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const calls = { inc: 0, dbl: 0 };
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { calls.inc += 1; return { n: inputData.n + 1 }; } });
  const dbl = createStep({ id: 'dbl', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { calls.dbl += 1; return { n: inputData.n * 2 }; } });
  const ask = createStep({
    id: 'ask', inputSchema: N, outputSchema: N, resumeSchema: N,
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({});
      return { n: inputData.n + resumeData.n };
    },
  });
  const sub = createWorkflow({ id: 'sub', inputSchema: N, outputSchema: N }).then(dbl).commit();
  const after = createWorkflow({ id: 'after', inputSchema: N, outputSchema: N }).then(inc).then(ask).then(inc).commit();
  const before = createWorkflow({ id: 'before', inputSchema: N, outputSchema: N }).then(inc).then(inc).then(ask).commit();
  const par = createWorkflow({ id: 'par', inputSchema: N, outputSchema: N }).then(dbl).then(ask).parallel([dbl, inc]).commit();
  const nested = createWorkflow({ id: 'nested', inputSchema: N, outputSchema: N }).then(sub).then(ask).then(sub).commit();
  const m = mastraWith({ after, before, par, nested });
  for (const id of ['after', 'before', 'par', 'nested']) {
    const run = await m.getWorkflow(id).createRun();
    log.result(await run.start({ inputData: { n: 1 } }));
    calls.inc = 0; calls.dbl = 0;
    await log.stream(run.resumeStream({ step: 'ask', resumeData: { n: 5 } }));
    log.note({ workflow: id, callsOnResume: { ...calls } });
  }
}
