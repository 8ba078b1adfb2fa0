// Time travel: after a 3-step run finishes, timeTravel({step: 'step2', inputData}) re-runs from
// step2 with that input; step1 is not run again and step3 gets step2's new output.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const calls = [];
  const mk = (id, f) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { calls.push(id); return { n: f(inputData.n) }; } });
  const step1 = mk('step1', (n) => n + 1);
  const step2 = mk('step2', (n) => n * 10);
  const step3 = mk('step3', (n) => n - 3);
  const wf = createWorkflow({ id: 'travel', inputSchema: N, outputSchema: N }).then(step1).then(step2).then(step3).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  log.result(await run.start({ inputData: { n: 1 } }));
  log.note({ calls: calls.splice(0) });
  log.result(await run.timeTravel({ step: 'step2', inputData: { n: 5 } }));
  log.note({ calls: calls.splice(0) });
}
