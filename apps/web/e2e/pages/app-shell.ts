import type { Locator, Page } from 'playwright-core';

/** The header every signed-in page shares: navigation, theme, account menu. */
export class AppShell {
  readonly userMenu: Locator;
  readonly navChat: Locator;
  readonly navDocuments: Locator;
  readonly navAdmin: Locator;

  constructor(readonly page: Page) {
    this.userMenu = page.getByTestId('user-menu');
    this.navChat = page.getByTestId('nav-chat');
    this.navDocuments = page.getByTestId('nav-documents');
    this.navAdmin = page.getByTestId('nav-admin');
  }

  async signOut(): Promise<void> {
    await this.userMenu.click();
    await this.page.getByTestId('sign-out').click();
    await this.page.getByTestId('sign-in-form').waitFor();
  }

  async chooseTheme(theme: 'Light' | 'Dark' | 'System'): Promise<void> {
    await this.page.getByTestId('theme-menu').click();
    await this.page.getByRole('menuitemradio', { name: theme }).click();
  }
}
