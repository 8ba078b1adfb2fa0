// A tool as a step (createStep(tool)): input and output from the tool's schemas; a tool that
// suspends through its context and is resumed with data; its events and records.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const core = (p) => import(pathToFileURL(path.join(process.cwd(), 'node_modules/@mastra/core/dist', p)).href);

export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const { createTool } = await core('tools/index.js');
  const lookup = createTool({
    id: 'lookup',
    description: 'Looks a topic up',
    inputSchema: z.object({ topic: z.string() }),
    outputSchema: z.object({ title: z.string() }),
    execute: async (input) => ({ title: input.topic.toUpperCase() }),
  });
  const publish = createTool({
    id: 'publish',
    description: 'Publishes once approved',
    inputSchema: z.object({ title: z.string() }),
    outputSchema: z.object({ fact: z.string() }),
    suspendSchema: z.object({ question: z.string() }),
    resumeSchema: z.object({ approved: z.boolean() }),
    execute: async (input, context) => {
      const resumeData = context?.workflow?.resumeData ?? context?.resumeData;
      if (!resumeData) return await context.workflow.suspend({ question: `publish ${input.title}?` });
      return { fact: `${input.title} ${resumeData.approved ? 'published' : 'dropped'}` };
    },
  });
  const wf = createWorkflow({ id: 'tools', inputSchema: z.object({ topic: z.string() }), outputSchema: z.object({ fact: z.string() }) })
    .then(createStep(lookup))
    .then(createStep(publish))
    .commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  await log.stream(run.stream({ inputData: { topic: 'otters' } }));
  await log.stream(run.resumeStream({ resumeData: { approved: true } }));
}
