// stream({closeOnSuspend: false}) keeps the stream open when a step suspends: resuming the run
// when the suspended event arrives continues the same stream (no second workflow-start) through
// to workflow-finish, and the stream's result is the final success.
// (Not recorded: Mastra's closing workflow-finish says workflowStatus 'suspended' here, a stale
// status; only the event types and step ids are compared.)
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const ask = createStep({ id: 'ask', inputSchema: V, outputSchema: V, resumeSchema: V,
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ question: 'more?' });
      return { value: inputData.value + resumeData.value };
    } });
  const done = createStep({ id: 'done', inputSchema: V, outputSchema: V, execute: async ({ inputData }) => ({ value: inputData.value + '.' }) });
  const wf = createWorkflow({ id: 'keep-open', inputSchema: V, outputSchema: V }).then(ask).then(done).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: { value: 'a' }, closeOnSuspend: false });
  const events = [];
  let resumed;
  for await (const ev of out.fullStream) {
    events.push(ev);
    if (ev.type === 'workflow-step-suspended') resumed = run.resume({ resumeData: { value: 'b' } });
  }
  log.note(events.map((e) => [e.type, e.payload?.id ?? null]));
  log.result(await out.result);
  log.result(await resumed);
}
