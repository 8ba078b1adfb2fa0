// A step forwards two agent-style `finish` chunks through writer.write (two "agent calls"): each
// appears as a workflow-step-output, and the stream's usage adds them up (workflow-finish's
// output.usage and `await stream.usage`).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const agentish = createStep({ id: 'agentish', inputSchema: N, outputSchema: N, execute: async ({ inputData, writer }) => {
    for (let i = 0; i < 2; i++) {
      await writer.write({ type: 'finish', payload: { usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 } } });
    }
    return { n: inputData.n + 1 };
  } });
  const wf = createWorkflow({ id: 'usage', inputSchema: N, outputSchema: N }).then(agentish).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: { n: 1 } });
  await log.stream(out);
  log.note({ usage: await out.usage });
}
