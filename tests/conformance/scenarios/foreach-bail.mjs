// A step that bails inside foreach: the foreach's step-result says 'bailed' (as a plain step's
// bail does), the progress events carry Mastra's iterationStatus values and count the bailed item
// as completed ('failed' is Mastra's iterationStatus for a bailed item), and the run ends
// successfully with the bail value. The foreach's step-result payload is dropped: Mastra puts the
// bailed item's input there, stepstream the foreach's input (as in its step-start and its record).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const each = createStep({ id: 'each', inputSchema: N, outputSchema: N,
    execute: async ({ inputData, bail }) => (inputData.n === 2 ? bail({ n: -1 }) : { n: inputData.n * 10 }) });
  const after = createStep({ id: 'after', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'foreach-bail', inputSchema: z.array(N), outputSchema: z.any() }).foreach(each).then(after).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: [{ n: 1 }, { n: 2 }, { n: 3 }] });
  const drop = (ev) => {
    if (ev.type !== 'workflow-step-result') return ev;
    const { payload, ...rest } = ev.payload;
    return { ...ev, payload: rest };
  };
  await log.stream({ fullStream: (async function* () { for await (const ev of out.fullStream) yield drop(ev); })(), result: out.result });
}
