/**
 * Reproducible generated files: docx (fflate), exceljs (JSZip) and pdf-lib stamp zip entries
 * and document properties with the current time and offer no option to override it, so the
 * build scripts run them with `new Date()` and `Date.now()` frozen at one fixed instant.
 */
export const FIXED_DATE_ISO = '2026-01-05T09:00:00.000Z';
export const FIXED_MS = Date.parse(FIXED_DATE_ISO);
export const fixedDate = (): Date => new Date(FIXED_MS);

export async function withFrozenClock<T>(fn: () => Promise<T>): Promise<T> {
  const RealDate = globalThis.Date;
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [FIXED_MS] : args, newTarget) as object;
    },
    get(target, prop, receiver) {
      if (prop === 'now') return () => FIXED_MS;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}
