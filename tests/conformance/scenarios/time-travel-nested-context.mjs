// timeTravel with nestedStepsContext: the records of steps inside a nested workflow, keyed by the
// nested workflow's id. The target 'nested.step3' gets step2's given output as its input; the
// given records appear in the result, and nothing before the target runs.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const calls = [];
  const mk = (id, f) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { calls.push(id); return { n: f(inputData.n) }; } });
  const step1 = mk('step1', (n) => n + 1);
  const step2 = mk('step2', (n) => n * 10);
  const step3 = mk('step3', (n) => n + 7);
  const step4 = mk('step4', (n) => n * 2);
  const nested = createWorkflow({ id: 'nested', inputSchema: N, outputSchema: N }).then(step2).then(step3).commit();
  const wf = createWorkflow({ id: 'travel-ctx', inputSchema: N, outputSchema: N }).then(step1).then(nested).then(step4).commit();
  const m = mastraWith({ wf });
  const run = await m.getWorkflow('wf').createRun();
  log.result(await run.start({ inputData: { n: 1 } }));
  calls.length = 0;
  const now = Date.now();
  log.result(await run.timeTravel({
    step: 'nested.step3',
    context: { step1: { status: 'success', payload: { n: 1 }, output: { n: 3 }, startedAt: now, endedAt: now } },
    nestedStepsContext: { nested: { step2: { status: 'success', payload: { n: 3 }, output: { n: 42 }, startedAt: now, endedAt: now } } },
  }));
  log.note({ calls });
}
