import type { Locator, Page } from 'playwright-core';

export class AdminPage {
  readonly root: Locator;
  readonly accessDenied: Locator;
  readonly userRows: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('admin-page');
    this.accessDenied = page.getByTestId('access-denied');
    this.userRows = page.getByTestId('admin-user-row');
  }

  async open(tab: 'users' | 'organisation' | 'api-keys' | 'audit-log' = 'users'): Promise<void> {
    await this.page.goto(`/admin/${tab}`);
  }

  /** Creates an API key and returns the secret shown once. */
  async createApiKey(name: string): Promise<string> {
    await this.page.getByTestId('new-api-key').click();
    await this.page.getByTestId('api-key-name').fill(name);
    await this.page.getByTestId('api-key-create').click();
    const secret = await this.page.getByTestId('api-key-secret').textContent();
    await this.page.getByTestId('api-key-done').click();
    return secret ?? '';
  }
}
