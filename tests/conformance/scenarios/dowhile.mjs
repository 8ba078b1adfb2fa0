// dowhile runs its body at least once, even when the condition is already false; the loop
// condition sees the iteration's output and iterationCount (1, 2, ...).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const seen = [];
  const wf = createWorkflow({ id: 'while', inputSchema: N, outputSchema: N })
    .dowhile(inc, async ({ inputData, iterationCount }) => { seen.push([inputData.n, iterationCount]); return inputData.n < 3; }).commit();
  const m = mastraWith({ wf });
  await log.stream((await m.getWorkflow('wf').createRun()).stream({ inputData: { n: 0 } }));
  log.note({ condition: seen.splice(0) });
  log.result(await (await m.getWorkflow('wf').createRun()).start({ inputData: { n: 10 } }));
  log.note({ condition: seen.splice(0) });
}
