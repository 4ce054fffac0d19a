import type { NotebookGuide } from '@nexus/contracts';

export type { NotebookGuide } from '@nexus/contracts';

/** A notebook file's guide, as the guide writer returns it (offline or with a model). */
export type GuideWriter = (input: { title: string; passages: readonly string[] }) => Promise<NotebookGuide>;
