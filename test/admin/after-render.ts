// The dashboard tests' one way to wait for the page: each table or section counts its renders in `data-renders`.
import type { Page } from 'playwright-core';

/**
 * Runs an action and waits until the element has rendered at least once more. At least, not exactly once: a
 * refresh already in flight (the page's timer, a slow answer under load) can add a render, and waiting for an
 * exact count would then wait forever.
 */
export async function afterRender(page: Page, selector: string, action: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  const renders = async (): Promise<number> => Number((await page.locator(selector).getAttribute('data-renders')) ?? '0');
  const before = await renders();
  await action();
  const deadline = Date.now() + timeoutMs;
  while ((await renders()) <= before) {
    if (Date.now() > deadline) throw new Error(`${selector} did not render again within ${timeoutMs} ms (renders ${before})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
