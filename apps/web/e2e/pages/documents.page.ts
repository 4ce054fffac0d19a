import type { Locator, Page } from 'playwright-core';

export class DocumentsPage {
  readonly root: Locator;
  readonly dropzone: Locator;
  readonly uploads: Locator;
  readonly rows: Locator;
  readonly search: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('documents-page');
    this.dropzone = page.getByTestId('dropzone');
    this.uploads = page.getByTestId('upload-item');
    this.rows = page.getByTestId('document-row');
    this.search = page.getByTestId('document-search');
  }

  async open(): Promise<void> {
    await this.page.goto('/documents');
    await this.root.waitFor();
  }

  /** Drops a file onto the drop zone the way a browser does (a DataTransfer with a File). */
  async dropFile(name: string, type: string, content: string): Promise<void> {
    const transfer = await this.page.evaluateHandle(
      ({ name, type, content }) => {
        const scope = globalThis as unknown as {
          DataTransfer: new () => { items: { add(file: unknown): void } };
          File: new (parts: string[], name: string, options: { type: string }) => unknown;
        };
        const data = new scope.DataTransfer();
        data.items.add(new scope.File([content], name, { type }));
        return data;
      },
      { name, type, content },
    );
    await this.dropzone.dispatchEvent('dragenter', { dataTransfer: transfer });
    await this.dropzone.dispatchEvent('dragover', { dataTransfer: transfer });
    await this.dropzone.dispatchEvent('drop', { dataTransfer: transfer });
  }

  upload(name: string): Locator {
    return this.uploads.filter({ hasText: name });
  }
}
