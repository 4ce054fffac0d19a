import type { Locator, Page } from 'playwright-core';

export class SignInPage {
  readonly form: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly totp: Locator;
  readonly submit: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.form = page.getByTestId('sign-in-form');
    this.email = page.getByTestId('sign-in-email');
    this.password = page.getByTestId('sign-in-password');
    this.totp = page.getByTestId('sign-in-totp');
    this.submit = page.getByTestId('sign-in-submit');
    this.error = page.getByTestId('sign-in-error');
  }

  async open(): Promise<void> {
    await this.page.goto('/sign-in');
    await this.form.waitFor();
  }

  async fill(email: string, password: string): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
  }

  /** Signs in and waits for the chat page. */
  async signIn(email: string, password: string): Promise<void> {
    await this.fill(email, password);
    await this.submit.click();
    await this.page.getByTestId('chat-page').waitFor();
  }
}
