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

  constructor(readonly page: Page) {
    this.root = page.getByTestId('chat-page');
    this.composer = page.getByTestId('composer-input');
    this.send = page.getByTestId('send-question');
    this.stop = page.getByTestId('stop-generation');
    this.answers = page.getByTestId('assistant-message');
    this.pendingAnswer = page.getByTestId('pending-answer');
    this.conversations = page.getByTestId('conversation-item');
    this.conversationSearch = page.getByTestId('conversation-search');
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
