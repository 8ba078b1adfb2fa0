// Time travel on a new run into a nested workflow, target 'nested.step3' with only inputData: the
// outer step before the nested workflow is filled in (output {}), the nested step before the target
// is filled in with output = inputData; only step3 and the steps after it run.
// The nested workflow's inputSchema is z.any(): Mastra validates the nested workflow's filled-in
// input ({}, the placeholder output of step1) against it and fails the run otherwise (a Mastra bug
// that this scenario does not record).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const calls = [];
  const mk = (id, f) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { calls.push(id); return { n: f(inputData.n) }; } });
  const step1 = mk('step1', (n) => n + 1);
  const step2 = mk('step2', (n) => n * 10);
  const step3 = mk('step3', (n) => n + 7);
  const step4 = mk('step4', (n) => n * 2);
  const nested = createWorkflow({ id: 'nested', inputSchema: z.any(), outputSchema: N }).then(step2).then(step3).commit();
  const wf = createWorkflow({ id: 'travel-nested', inputSchema: N, outputSchema: N }).then(step1).then(nested).then(step4).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  log.result(await run.timeTravel({ step: 'nested.step3', inputData: { n: 5 } }));
  log.note({ calls });
}
