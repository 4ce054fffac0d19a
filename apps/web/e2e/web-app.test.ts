import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOpenAiCompatibleServer } from '../../server/test/helpers/model-servers.ts';
import { AdminPage } from './pages/admin.page.ts';
import { AppShell } from './pages/app-shell.ts';
import { ChatPage } from './pages/chat.page.ts';
import { DocumentsPage } from './pages/documents.page.ts';
import { NotebookPage } from './pages/notebook.page.ts';
import { SignInPage } from './pages/sign-in.page.ts';
import {
  type ContextOptions,
  DEMO_PASSWORD,
  DEMO_USERS,
  describeViolations,
  findAccessibilityViolations,
  launchBrowser,
  newContext,
  SCREENSHOT_DIR,
  VIEWPORTS,
} from './support/browser.ts';

const baseUrl = inject('baseUrl');
const GOLDEN_QUESTION = 'How many days of annual leave do UK employees get?';
const REFUSAL = "I don't have enough information to answer this question.";

describe.skipIf(!inject('hasChromium'))('the web app in Chromium against nexus serve', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh browser profile whose page errors and console errors are collected. */
  async function openPage(options: Omit<ContextOptions, 'baseUrl'> = {}) {
    const context = await newContext(browser, { baseUrl, ...options });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // 401s while probing the session and 4xx the tests provoke are expected network noise.
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) errors.push(message.text());
    });
    return { context, page, errors };
  }

  /** Signs in through the API (cookies land in the browser context): fast set-up for non-auth tests. */
  async function signInQuickly(context: BrowserContext, email: string) {
    const response = await context.request.post('/api/v1/auth/login', {
      data: { email, password: DEMO_PASSWORD },
    });
    expect(response.status()).toBe(200);
  }

  async function signedInPage(email: string, options: Omit<ContextOptions, 'baseUrl'> = {}) {
    const opened = await openPage(options);
    await signInQuickly(opened.context, email);
    return opened;
  }

  /** The admin API over bearer tokens, for switching server settings from a test. */
  async function adminApi() {
    const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO_USERS.admin, password: DEMO_PASSWORD }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const call = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as unknown;
    };
    return {
      get: (path: string) => call('GET', path),
      post: (path: string, body: object) => call('POST', path, body),
      patch: (path: string, body: object) => call('PATCH', path, body),
    };
  }

  it('sends visitors to sign-in, rejects a wrong password, keeps the session across a reload and signs out', async () => {
    const { page, errors } = await openPage();
    await page.goto('/chat');
    await page.waitForURL(/\/sign-in\?next=%2Fchat/);
    const signIn = new SignInPage(page);

    await signIn.fill(DEMO_USERS.employee, 'not-the-password');
    await signIn.submit.click();
    await expect.poll(() => signIn.error.textContent()).toMatch(/incorrect|invalid/i);
    expect(await signIn.email.inputValue()).toBe(DEMO_USERS.employee);

    await signIn.password.fill(DEMO_PASSWORD);
    await signIn.password.press('Enter'); // keyboard submit
    await page.getByTestId('chat-page').waitFor();
    expect(new URL(page.url()).pathname).toBe('/chat');
    await expect.poll(() => page.getByTestId('user-menu').textContent()).toContain('Eli Employee');

    await page.reload();
    await page.getByTestId('chat-page').waitFor();
    expect(new URL(page.url()).pathname).toBe('/chat');

    await new AppShell(page).signOut();
    await page.goto('/documents');
    await page.waitForURL(/\/sign-in/);
    expect(errors).toEqual([]);
  });

  it('streams a cited answer to the demo question; the citation popover names the UK leave policy', async () => {
    const { page, errors } = await signedInPage(DEMO_USERS.employee);
    const chat = new ChatPage(page);
    await chat.open();
    const { response, answer } = await chat.ask(GOLDEN_QUESTION);

    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toContain('text/event-stream');
    expect(await answer.getByTestId('answer-content').textContent()).toContain('25 days');
    const markers = chat.citationMarkers(answer);
    expect(await markers.count()).toBeGreaterThan(0);

    const popover = await chat.openCitation(markers.first());
    expect(await popover.getByTestId('citation-title').textContent()).toBe('UK Annual Leave Policy');
    expect(await popover.textContent()).toContain('25 days');
    await page.mouse.move(0, 0);
    await popover.waitFor({ state: 'detached' });

    // Keyboard: focus the marker and open it with Enter.
    await markers.first().focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('citation-popover').waitFor();
    await page.keyboard.press('Escape');

    const sources = answer.getByTestId('sources-list');
    expect(await sources.getByTestId('source-title').allTextContents()).toContain('UK Annual Leave Policy');

    // The conversation is listed under the question, and survives a reload.
    await expect.poll(() => chat.conversations.first().textContent()).toBe(GOLDEN_QUESTION);
    await page.reload();
    await chat.answers.first().waitFor();
    expect(await chat.answers.first().textContent()).toContain('25 days');

    // Feedback with a comment.
    await answer.getByTestId('feedback-up').click();
    await page.getByTestId('feedback-comment').fill('Clear and sourced.');
    await page.getByTestId('feedback-submit').click();
    await page.getByText('Thanks for the feedback.').waitFor();
    await page.reload();
    await expect
      .poll(() => chat.answers.first().getByTestId('feedback-up').getAttribute('aria-pressed'))
      .toBe('true');
    expect(errors).toEqual([]);
  });

  it('shows the refusal, without sources, for a question the documents cannot answer', async () => {
    const { page, errors } = await signedInPage(DEMO_USERS.employee);
    const chat = new ChatPage(page);
    await chat.open();
    const { answer } = await chat.ask('What is the airspeed velocity of an unladen swallow?');
    expect((await answer.getByTestId('refusal').textContent())?.startsWith(REFUSAL)).toBe(true);
    expect(await chat.citationMarkers(answer).count()).toBe(0);
    expect(await answer.getByTestId('sources-list').count()).toBe(0);

    // Rename, search by title, delete.
    await chat.renameCurrent('Swallow trivia');
    await expect.poll(() => chat.conversationTitle.textContent()).toBe('Swallow trivia');
    await chat.conversationSearch.fill('swallow');
    await expect.poll(() => chat.conversations.allTextContents()).toEqual(['Swallow trivia']);
    await chat.deleteCurrent();
    await page.waitForURL(/\/chat$/);
    await expect.poll(() => chat.conversations.count()).toBe(0);
    await page.getByTestId('conversations-empty').waitFor();

    // The other modes are announced, not faked.
    await page.getByTestId('mode-assistant').click();
    await page.getByTestId('coming-soon').waitFor();
    expect(await chat.composer.count()).toBe(0);
    await page.getByTestId('mode-rag').click();
    await chat.composer.waitFor();
    expect(errors).toEqual([]);
  });

  it('gives an employee a private notebook: drop files, follow indexing, read the guide, ask the chosen files with citations, pin and delete', async () => {
    const { page, errors } = await signedInPage(DEMO_USERS.employee);
    const notebook = new NotebookPage(page);
    await notebook.open();
    await notebook.create();
    expect(await page.getByTestId('notebook-time-left').textContent()).toMatch(/2[34] h left/);
    await notebook.dropFiles([
      {
        name: 'kayak-club.md',
        type: 'text/markdown',
        content:
          '# Kayak club\n\nThe kayak club meets on Thursday evenings at the boathouse. New members must pass a capsize drill before paddling on the river. Helmets are required on every river trip.\n',
      },
      {
        name: 'bakery.md',
        type: 'text/markdown',
        content:
          '# Bakery orders\n\nSourdough orders close at noon on Wednesday. Croissants are baked fresh every Saturday morning. Large cake orders need three days of notice.\n',
      },
    ]);
    await expect.poll(() => notebook.files.count()).toBe(2);
    for (const name of ['kayak-club.md', 'bakery.md']) {
      await expect
        .poll(() => notebook.file(name).getByTestId('notebook-file-status').textContent(), {
          timeout: 30_000,
        })
        .toBe('Ready');
    }
    // Each file gets a guide: a summary and suggested questions.
    await notebook.file('kayak-club.md').getByTestId('notebook-guide').waitFor();
    expect(await notebook.file('kayak-club.md').getByTestId('suggested-question').count()).toBeGreaterThan(0);

    const answer = await notebook.ask('When does the kayak club meet?');
    expect(await answer.textContent()).toContain('Thursday');
    const link = answer.getByTestId('sources-list').locator('a').first();
    expect(await link.getAttribute('href')).toMatch(
      /^\/api\/v1\/notebook\/sessions\/[0-9a-f-]+\/files\/[0-9a-f-]+\/content$/,
    );

    // Only the chosen files answer: without the kayak file, the same question is refused.
    await page.getByLabel('Answer from kayak-club.md').uncheck();
    const narrowed = await notebook.ask('When does the kayak club meet?');
    expect((await narrowed.getByTestId('refusal').textContent())?.startsWith(REFUSAL)).toBe(true);

    await page.getByTestId('notebook-pin').click();
    await expect.poll(() => page.getByTestId('notebook-time-left').textContent()).toContain('Pinned');
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'notebook-desktop-light.png') });
    await page.getByTestId('notebook-delete').click();
    await page.getByTestId('confirm-action').click();
    await page.waitForURL(/\/notebook$/);
    await expect.poll(() => notebook.sessions.count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('lets a content manager drop a document in, follow its ingestion and then get answers from it', async () => {
    const { page, errors } = await signedInPage(DEMO_USERS.manager);
    const documents = new DocumentsPage(page);
    await documents.open();
    const fileName = 'drone-flight-policy.md';
    await documents.dropFile(
      fileName,
      'text/markdown',
      [
        '# Drone Flight Policy',
        '',
        '## Permitted flying days',
        '',
        'Employees may fly company drones only on Tuesdays, and only after completing the ZX-42 drone safety course.',
        '',
        '## Storage',
        '',
        'Drones are stored in locker 7 on the third floor of the London office.',
      ].join('\n'),
    );
    const upload = documents.upload(fileName);
    await upload.waitFor();
    await expect
      .poll(() => upload.getAttribute('data-phase'), { timeout: 30_000, interval: 250 })
      .toBe('ready');
    // Content managers' uploads default to their own department.
    expect(await upload.getByTestId('upload-status').textContent()).toContain('UK/HR');
    await documents.search.fill('Drone');
    await expect.poll(() => documents.rows.count()).toBe(1);
    expect(await documents.rows.first().getByTestId('document-status').textContent()).toBe('Ready');

    const chat = new ChatPage(page);
    await page.getByTestId('nav-chat').click();
    await chat.root.waitFor();
    const { answer } = await chat.ask('On which day may employees fly company drones?');
    expect(await answer.getByTestId('answer-content').textContent()).toMatch(/Tuesday/);
    const popover = await chat.openCitation(chat.citationMarkers(answer).first());
    expect(await popover.getByTestId('citation-title').textContent()).toMatch(/drone/i);
    expect(errors).toEqual([]);
  });

  it('keeps a user out of the admin and document pages, and remembers their theme', async () => {
    const { page } = await signedInPage(DEMO_USERS.employee);
    const shell = new AppShell(page);
    await page.goto('/chat');
    await shell.navChat.waitFor();
    expect(await shell.navAdmin.count()).toBe(0);
    expect(await shell.navDocuments.count()).toBe(0);

    // The theme follows the system until the user picks one; the choice survives a reload.
    const isDark = () =>
      page.evaluate(() =>
        (
          globalThis as unknown as {
            document: { documentElement: { classList: { contains(name: string): boolean } } };
          }
        ).document.documentElement.classList.contains('dark'),
      );
    expect(await isDark()).toBe(false);
    await shell.chooseTheme('Dark');
    await expect.poll(isDark).toBe(true);
    await page.reload();
    await shell.navChat.waitFor();
    expect(await isDark()).toBe(true);

    const admin = new AdminPage(page);
    for (const tab of ['users', 'api-keys', 'audit-log'] as const) {
      await admin.open(tab);
      await admin.accessDenied.waitFor();
      expect(await admin.root.count()).toBe(0);
    }
    await page.goto('/documents');
    await admin.accessDenied.waitFor();
    expect(await page.getByTestId('upload-panel').count()).toBe(0);
  });

  it('lets a super admin see users and create an API key that is shown once', async () => {
    const { page, errors } = await signedInPage(DEMO_USERS.admin);
    const admin = new AdminPage(page);
    await admin.open('users');
    await admin.root.waitFor();
    await expect.poll(() => admin.userRows.count()).toBe(3);
    expect(await admin.userRows.allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining(DEMO_USERS.employee)]),
    );

    await page.getByTestId('admin-tab-api-keys').click();
    const secret = await admin.createApiKey('Intranet widget');
    expect(secret).toMatch(/^\S{20,}$/);
    const rows = page.getByTestId('api-key-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.content()).not.toContain(secret); // shown once, never again
    const check = await page.request.get('/v1/api-key', { headers: { authorization: `Bearer ${secret}` } });
    expect(check.status()).toBe(200);

    // Regions: add one, see it listed, delete it again.
    await page.getByTestId('admin-tab-organisation').click();
    const organisation = page.getByTestId('admin-organisation');
    await organisation.waitFor();
    const regionForm = organisation.locator('form').first();
    await regionForm.getByLabel('Code').fill('DE');
    await regionForm.getByLabel('Name').fill('Germany');
    await regionForm.getByRole('button', { name: /Add region/ }).click();
    const deleteGermany = page.getByRole('button', { name: 'Delete region DE' });
    await deleteGermany.waitFor();
    await deleteGermany.click();
    await page.getByTestId('confirm-action').click();
    await deleteGermany.waitFor({ state: 'detached' });

    await page.getByTestId('admin-tab-audit-log').click();
    await page.getByTestId('audit-row').first().waitFor();
    const auditLog = await page.getByTestId('admin-audit-log').textContent();
    expect(auditLog).toContain('api_key.created');
    expect(auditLog).toContain('region.created');
    expect(errors).toEqual([]);
  });

  it('keeps the question and offers a retry when the network fails', async () => {
    const { page, context } = await signedInPage(DEMO_USERS.employee);
    const chat = new ChatPage(page);
    await chat.open();
    // The network drops as the question is sent: the error says so and the question is kept.
    await context.route('**/messages', (route) => route.abort('internetdisconnected'));
    await chat.composer.fill('Which office stores the drones?');
    await chat.composer.press('Enter');
    const error = page.getByTestId('answer-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/connection|reach/i);
    expect(await chat.composer.inputValue()).toBe('Which office stores the drones?');
    await context.unroute('**/messages');

    // Retry works once the network is back.
    await error.getByTestId('retry-answer').click();
    await chat.answers.last().waitFor();
    await chat.pendingAnswer.waitFor({ state: 'detached' });
  });

  it('stops a slow answer mid-stream and keeps the partial answer, marked as stopped', async () => {
    // A real OpenAI-compatible model server that streams slowly, switched on for the
    // Knowledge mode through the admin API, then switched back.
    const model = await startOpenAiCompatibleServer({
      kind: 'text',
      chunks: [
        'UK staff ',
        'get ',
        '25 ',
        'days ',
        'of ',
        'paid ',
        'annual ',
        'leave ',
        'every ',
        'year ',
        '[1].',
      ],
      chunkDelayMs: 500,
    });
    const admin = await adminApi();
    const { llm_configs: configs } = (await admin.get('/api/v1/admin/llm-configs')) as {
      llm_configs: { id: string; mode: string; is_active: boolean }[];
    };
    const previous = configs.find((config) => config.mode === 'rag' && config.is_active)!;
    await admin.post('/api/v1/admin/llm-configs', {
      mode: 'rag',
      name: 'e2e slow model',
      provider: 'openai_compatible',
      model: 'slow',
      base_url: `${model.url}/v1`,
      is_active: true,
    });
    try {
      const { page, errors } = await signedInPage(DEMO_USERS.employee);
      const chat = new ChatPage(page);
      await chat.open();
      await chat.newConversation();
      await chat.composer.fill('Summarise the annual leave rules for UK staff.');
      await chat.composer.press('Enter');
      await expect
        .poll(() => chat.pendingAnswer.textContent(), { timeout: 10_000 })
        .toContain('UK staff get');
      await chat.stop.click();
      await page.getByText('Stopped').first().waitFor();
      const shown = await chat.page
        .getByTestId('pending-answer')
        .or(chat.answers.last())
        .first()
        .textContent();
      expect(shown).toContain('UK staff get');
      expect(shown).not.toContain('every year');

      // The server kept the partial answer: after a reload it is there, marked as stopped.
      await page.reload();
      const stored = chat.answers.last();
      await stored.waitFor();
      expect(await stored.getAttribute('data-status')).toBe('partial');
      expect(await stored.textContent()).toContain('UK staff get');
      expect(errors).toEqual([]);
    } finally {
      await admin.patch(`/api/v1/admin/llm-configs/${previous.id}`, { is_active: true });
      await model.close();
    }
  });

  const MAIN_PAGES: {
    name: string;
    email: string | null;
    path: string;
    ready: (page: Page) => Promise<void>;
  }[] = [
    {
      name: 'sign-in',
      email: null,
      path: '/sign-in',
      ready: (page) => page.getByTestId('sign-in-form').waitFor(),
    },
    {
      name: 'chat-new',
      email: DEMO_USERS.employee,
      path: '/chat',
      ready: (page) => page.getByTestId('chat-empty').waitFor(),
    },
    {
      name: 'chat',
      email: DEMO_USERS.employee,
      path: '/chat',
      ready: async (page) => {
        const chat = new ChatPage(page);
        await chat.conversations.filter({ hasText: GOLDEN_QUESTION, visible: true }).first().click();
        await chat.answers.first().getByTestId('sources-list').waitFor();
      },
    },
    {
      // The manager's notebook (the first visit makes it): its file, guide and chat box.
      name: 'notebook',
      email: DEMO_USERS.manager,
      path: '/notebook',
      ready: async (page) => {
        const notebook = new NotebookPage(page);
        await notebook.sessions.first().or(page.getByText('No notebooks yet.')).waitFor();
        if ((await notebook.sessions.count()) > 0) {
          await notebook.sessions.first().click();
        } else {
          await notebook.create();
          await notebook.dropFiles([
            {
              name: 'team-offsite.md',
              type: 'text/markdown',
              content:
                '# Team offsite\n\nThe offsite takes place in Lisbon on the second week of May. Travel is booked by the team assistant. Each person may bring one guest to the closing dinner.\n',
            },
          ]);
        }
        await notebook.file('team-offsite.md').getByTestId('notebook-guide').waitFor({ timeout: 30_000 });
      },
    },
    {
      name: 'documents',
      email: DEMO_USERS.manager,
      path: '/documents',
      ready: (page) => page.getByTestId('document-row').first().waitFor(),
    },
    {
      name: 'admin-users',
      email: DEMO_USERS.admin,
      path: '/admin/users',
      ready: (page) => page.getByTestId('admin-user-row').first().waitFor(),
    },
  ];

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no WCAG A/AA violations (axe-core) on the main pages: ${colorScheme}`, async () => {
      const failures: string[] = [];
      for (const target of MAIN_PAGES) {
        const { page } = target.email
          ? await signedInPage(target.email, { colorScheme, bypassCSP: true })
          : await openPage({ colorScheme, bypassCSP: true });
        await page.goto(target.path);
        await target.ready(page);
        const violations = await findAccessibilityViolations(page);
        if (violations.length)
          failures.push(`${target.name} (${colorScheme}):\n${describeViolations(violations)}`);
        await page.context().close();
      }
      expect(failures.join('\n\n')).toBe('');
    });
  }

  // One test per viewport and theme (five pages each), so that a busy machine slows each
  // down without pushing twenty screenshots past one test's time budget.
  for (const viewport of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
    for (const colorScheme of ['light', 'dark'] as const) {
      it(`saves screenshots of the main pages: ${colorScheme}, ${viewport}`, async () => {
        await mkdir(SCREENSHOT_DIR, { recursive: true });
        for (const target of MAIN_PAGES) {
          const { page } = target.email
            ? await signedInPage(target.email, { colorScheme, viewport })
            : await openPage({ colorScheme, viewport });
          await page.goto(target.path);
          if (target.name === 'chat' && viewport === 'phone') {
            await page.getByTestId('open-history').click();
          }
          await target.ready(page);
          if (target.name === 'chat' && viewport === 'desktop') {
            await new ChatPage(page).openCitation(page.getByTestId('citation-marker').first());
          }
          await page.evaluate(
            () =>
              (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts
                .ready,
          );
          await page.screenshot({
            path: path.join(SCREENSHOT_DIR, `${target.name}-${viewport}-${colorScheme}.png`),
          });
          await page.context().close();
        }
      });
    }
  }
});
