import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { QrCode } from './qr-code.tsx';

/** The dark modules of the rendered code, read back from its SVG path. */
function modulesOf(container: HTMLElement) {
  const svg = container.querySelector('svg')!;
  const size = Number(svg.getAttribute('viewBox')!.split(' ')[2]);
  const dark = new Set<string>();
  for (const match of svg
    .querySelector('path')!
    .getAttribute('d')!
    .matchAll(/M(\d+) (\d+)/g)) {
    dark.add(`${match[1]},${match[2]}`);
  }
  return { size, isDark: (x: number, y: number) => dark.has(`${x},${y}`) };
}

describe('QrCode', () => {
  it('draws a scannable structure: finder patterns in three corners inside a quiet zone', () => {
    const { container } = render(
      <QrCode
        value="otpauth://totp/Nexus:ada@northwind.example?secret=JBSWY3DPEHPK3PXP&issuer=Nexus"
        label="QR"
      />,
    );
    const { size, isDark } = modulesOf(container);
    const border = 2;
    for (const [left, top] of [
      [border, border],
      [size - border - 7, border],
      [border, size - border - 7],
    ] as const) {
      // A finder pattern: dark 7×7 ring, light ring inside it, dark 3×3 centre.
      expect(isDark(left, top) && isDark(left + 6, top + 6), 'outer ring').toBe(true);
      expect(isDark(left + 1, top + 1), 'light ring').toBe(false);
      expect(isDark(left + 3, top + 3), 'centre').toBe(true);
    }
    expect(isDark(0, 0)).toBe(false); // quiet zone
    expect(container.querySelector('svg')!.getAttribute('aria-label')).toBe('QR');
  });

  it('grows with the payload and changes with it', () => {
    const short = modulesOf(render(<QrCode value="otpauth://totp/a?secret=A" label="a" />).container);
    const long = modulesOf(
      render(<QrCode value={`otpauth://totp/Nexus:${'x'.repeat(120)}?secret=B`} label="b" />).container,
    );
    expect(long.size).toBeGreaterThan(short.size);
  });
});
