import type { Locator, Page, Response } from 'playwright-core';

export class ChatPage {
  readonly root: Locator;
  readonly composer: Locator;
  readonly send: Locator;
  readonly stop: Locator;
  readonly answers: Locator;
  readonly pendingAnswer: Locator;
  readonly conversations: Locator;
  readonly conversationSearch: Locator;
  readonly conversationTitle: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('chat-page');
    this.composer = page.getByTestId('composer-input');
    this.send = page.getByTestId('send-question');
    this.stop = page.getByTestId('stop-generation');
    this.answers = page.getByTestId('assistant-message');
    this.pendingAnswer = page.getByTestId('pending-answer');
    this.conversations = page.getByTestId('conversation-item');
    this.conversationSearch = page.getByTestId('conversation-search');
    this.conversationTitle = page.getByTestId('conversation-title');
  }

  async open(): Promise<void> {
    await this.page.goto('/chat');
    await this.root.waitFor();
  }

  async newConversation(): Promise<void> {
    await this.page.getByTestId('new-conversation').first().click();
    await this.page.getByTestId('chat-empty').waitFor();
  }

  /**
   * Types a question, sends it with Enter and waits for the streamed answer to be stored.
   * Returns the answer's HTTP response (to check it was streamed) and the answer element.
   */
  async ask(question: string): Promise<{ response: Response; answer: Locator }> {
    const before = await this.answers.count();
    await this.composer.fill(question);
    const [response] = await Promise.all([
      this.page.waitForResponse(
        (candidate) =>
          candidate.request().method() === 'POST' &&
          /\/conversations\/[^/]+\/messages$/.test(candidate.url()),
      ),
      this.composer.press('Enter'),
    ]);
    const answer = this.answers.nth(before);
    await answer.waitFor();
    await this.pendingAnswer.waitFor({ state: 'detached' });
    return { response, answer };
  }

  /** The open conversation's entry in the (desktop) sidebar. */
  private currentItem(): Locator {
    return this.page.locator('[data-testid="conversation-item"][aria-current="page"]');
  }

  private async openActions(): Promise<void> {
    await this.currentItem().hover();
    await this.currentItem().locator('..').getByTestId('conversation-actions').click();
  }

  async renameCurrent(title: string): Promise<void> {
    await this.openActions();
    await this.page.getByTestId('rename-conversation').click();
    await this.page.getByTestId('rename-input').fill(title);
    await this.page.getByTestId('rename-save').click();
    await this.page.getByTestId('rename-input').waitFor({ state: 'detached' });
  }

  async deleteCurrent(): Promise<void> {
    await this.openActions();
    await this.page.getByTestId('delete-conversation').click();
    await this.page.getByTestId('confirm-action').click();
    await this.page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
  }

  citationMarkers(answer: Locator): Locator {
    return answer.getByTestId('citation-marker');
  }

  /** Hovers a citation marker and returns its popover. */
  async openCitation(marker: Locator): Promise<Locator> {
    await marker.hover();
    const popover = this.page.getByTestId('citation-popover');
    await popover.waitFor();
    return popover;
  }
}
