import type { Locator, Page } from 'playwright-core';

export class NotebookPage {
  readonly root: Locator;
  readonly dropzone: Locator;
  readonly files: Locator;
  readonly sessions: Locator;
  readonly composer: Locator;
  readonly answers: Locator;
  readonly pendingAnswer: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('notebook-page');
    this.dropzone = page.getByTestId('notebook-dropzone');
    this.files = page.getByTestId('notebook-file');
    this.sessions = page.getByTestId('notebook-item');
    this.composer = page.getByTestId('composer-input');
    this.answers = page.getByTestId('assistant-message');
    this.pendingAnswer = page.getByTestId('pending-answer');
  }

  async open(): Promise<void> {
    await this.page.goto('/notebook');
    await this.root.waitFor();
  }

  /** Starts a notebook and waits for its page. */
  async create(): Promise<void> {
    await this.page.getByTestId('new-notebook').click();
    await this.page.waitForURL(/\/notebook\/[0-9a-f-]{36}$/);
    await this.dropzone.waitFor();
  }

  /** Drops files onto the drop zone the way a browser does (a DataTransfer with Files). */
  async dropFiles(files: { name: string; type: string; content: string }[]): Promise<void> {
    const transfer = await this.page.evaluateHandle((items) => {
      const scope = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: { type: string }) => unknown;
      };
      const data = new scope.DataTransfer();
      for (const item of items)
        data.items.add(new scope.File([item.content], item.name, { type: item.type }));
      return data;
    }, files);
    await this.dropzone.dispatchEvent('dragenter', { dataTransfer: transfer });
    await this.dropzone.dispatchEvent('dragover', { dataTransfer: transfer });
    await this.dropzone.dispatchEvent('drop', { dataTransfer: transfer });
  }

  file(name: string): Locator {
    return this.files.filter({ hasText: name });
  }

  /** Asks with Enter and waits for the streamed answer to be stored. */
  async ask(question: string): Promise<Locator> {
    const before = await this.answers.count();
    await this.composer.fill(question);
    await Promise.all([
      this.page.waitForResponse(
        (candidate) =>
          candidate.request().method() === 'POST' &&
          /\/notebook\/sessions\/[^/]+\/chat$/.test(candidate.url()),
      ),
      this.composer.press('Enter'),
    ]);
    const answer = this.answers.nth(before);
    await answer.waitFor();
    await this.pendingAnswer.waitFor({ state: 'detached' });
    return answer;
  }
}
